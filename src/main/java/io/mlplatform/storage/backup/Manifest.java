package io.mlplatform.storage.backup;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * The manifest format: gzip-compressed JSON lines, one {@link SnapshotEntry} per line, in
 * {@link PathOrder}. Read and written as streams, never held in memory as a whole.
 */
final class Manifest {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private Manifest() {
	}

	/** A manifest's entries in order, with a look at the next one that does not consume it. */
	interface Entries extends Iterator<SnapshotEntry>, AutoCloseable {

		/** The next entry, or null at the end. */
		SnapshotEntry peek();

		@Override
		void close();

	}

	static final class Writer implements AutoCloseable {

		private final BufferedWriter out;

		private long entries;

		Writer(OutputStream out) {
			try {
				this.out = new BufferedWriter(new OutputStreamWriter(new FastGzip(out), StandardCharsets.UTF_8),
						64 * 1024);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		/** One line, the record's fields in order, nulls left out: what the reader and any JSON tool read. */
		void write(SnapshotEntry entry) {
			StringBuilder line = this.line;
			line.setLength(0);
			line.append('{');
			string(line, "path", entry.path());
			string(line, "type", entry.type());
			string(line, "mode", entry.mode());
			if (entry.mtime() != null) {
				separate(line, "mtime");
				instant(line.append('"'), entry.mtime()).append('"');
			}
			number(line, "size", entry.size());
			string(line, "sha256", entry.sha256());
			string(line, "blob", entry.blob());
			string(line, "pack", entry.pack());
			number(line, "offset", entry.offset());
			string(line, "target", entry.target());
			number(line, "inode", entry.inode());
			line.append("}\n");
			try {
				this.out.append(line);
				this.entries++;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		private final StringBuilder line = new StringBuilder(256);

		private static void string(StringBuilder line, String name, String value) {
			if (value == null) {
				return;
			}
			separate(line, name);
			line.append('"');
			if (plain(value)) {
				// nearly every path and digest: one copy instead of a char at a time
				line.append(value).append('"');
				return;
			}
			for (int i = 0; i < value.length(); i++) {
				char c = value.charAt(i);
				switch (c) {
					case '"' -> line.append("\\\"");
					case '\\' -> line.append("\\\\");
					case '\n' -> line.append("\\n");
					case '\t' -> line.append("\\t");
					case '\r' -> line.append("\\r");
					default -> {
						if (c < 0x20) {
							line.append(String.format("\\u%04x", (int) c));
						}
						else {
							line.append(c);
						}
					}
				}
			}
			line.append('"');
		}

		private static final long YEAR_1000 = LocalDate.of(1000, 1, 1).toEpochDay() * 86_400;

		private static final long YEAR_10000 = LocalDate.of(9999, 12, 31).toEpochDay() * 86_400 + 86_400;

		/**
		 * As {@link Instant#toString()} writes it ({@code 2024-01-02T03:04:05.123456789Z}, the fraction in groups
		 * of three digits, none when zero), without the general formatter: every entry has an mtime.
		 */
		static StringBuilder instant(StringBuilder line, Instant time) {
			long seconds = time.getEpochSecond();
			if (seconds < YEAR_1000 || seconds >= YEAR_10000) {
				// years the general formatter writes with a sign or padding
				return line.append(time);
			}
			LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
			int second = (int) Math.floorMod(seconds, 86_400);
			pad(line, day.getYear(), 4).append('-');
			pad(line, day.getMonthValue(), 2).append('-');
			pad(line, day.getDayOfMonth(), 2).append('T');
			pad(line, second / 3600, 2).append(':');
			pad(line, second / 60 % 60, 2).append(':');
			pad(line, second % 60, 2);
			int nanos = time.getNano();
			if (nanos != 0) {
				line.append('.');
				if (nanos % 1_000_000 == 0) {
					pad(line, nanos / 1_000_000, 3);
				}
				else if (nanos % 1000 == 0) {
					pad(line, nanos / 1000, 6);
				}
				else {
					pad(line, nanos, 9);
				}
			}
			return line.append('Z');
		}

		private static StringBuilder pad(StringBuilder line, int value, int width) {
			for (int limit = 10, digits = 1; digits < width; limit *= 10, digits++) {
				if (value < limit) {
					line.append('0');
				}
			}
			return line.append(value);
		}

		private static boolean plain(String value) {
			for (int i = 0; i < value.length(); i++) {
				char c = value.charAt(i);
				if (c < 0x20 || c == '"' || c == '\\') {
					return false;
				}
			}
			return true;
		}

		private static void number(StringBuilder line, String name, Long value) {
			if (value != null) {
				separate(line, name);
				line.append(value.longValue());
			}
		}

		private static void separate(StringBuilder line, String name) {
			if (line.length() > 1) {
				line.append(',');
			}
			line.append('"').append(name).append("\":");
		}

		long entries() {
			return this.entries;
		}

		@Override
		public void close() {
			try {
				this.out.close();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

	/**
	 * Gzip at its fastest level: a manifest is written once per backup and mostly holds hex digests,
	 * which the default level compresses hardly better while taking most of the writer's time.
	 */
	private static final class FastGzip extends GZIPOutputStream {

		FastGzip(OutputStream out) throws IOException {
			super(out, 64 * 1024);
			this.def.setLevel(java.util.zip.Deflater.BEST_SPEED);
		}

	}

	/**
	 * Entries one by one; {@link #peek()} lets a merge look ahead without consuming. Parsed as a
	 * stream of JSON values with field-by-field code: an incremental backup reads every entry of the
	 * previous manifest, and generic record binding (with its date parsing) was most of its time.
	 */
	static final class Reader implements Entries {

		private final JsonParser parser;

		private SnapshotEntry next;

		Reader(InputStream in) {
			try {
				// bytes, not chars: Jackson decodes UTF-8 itself, faster than a reader in front of it
				this.parser = JSON.createParser(new GZIPInputStream(in, 64 * 1024));
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			advance();
		}

		/** A reader of no entries: the first snapshot of a storage has no previous one. */
		static Reader empty() {
			return new Reader();
		}

		private Reader() {
			this.parser = null;
		}

		private void advance() {
			JsonToken token = this.parser.nextToken();
			if (token == null) {
				this.next = null;
				return;
			}
			if (token != JsonToken.START_OBJECT) {
				throw malformed();
			}
			String path = null;
			String type = null;
			String mode = null;
			Instant mtime = null;
			Long size = null;
			String sha256 = null;
			String blob = null;
			String pack = null;
			Long offset = null;
			String target = null;
			Long inode = null;
			for (String name = this.parser.nextName(); name != null; name = this.parser.nextName()) {
				JsonToken value = this.parser.nextToken();
				switch (name) {
					case "path" -> path = string(value);
					case "type" -> type = string(value);
					case "mode" -> mode = string(value);
					case "mtime" -> {
						String time = string(value);
						mtime = (time != null) ? instant(time) : null;
					}
					case "size" -> size = number(value);
					case "sha256" -> sha256 = string(value);
					case "blob" -> blob = string(value);
					case "pack" -> pack = string(value);
					case "offset" -> offset = number(value);
					case "target" -> target = string(value);
					case "inode" -> inode = number(value);
					default -> this.parser.skipChildren();
				}
			}
			this.next = new SnapshotEntry(path, type, mode, mtime, size, sha256, blob, pack, offset, target, inode);
		}

		private String string(JsonToken value) {
			if (value == JsonToken.VALUE_NULL) {
				return null;
			}
			if (value != JsonToken.VALUE_STRING) {
				throw malformed();
			}
			return this.parser.getString();
		}

		private Long number(JsonToken value) {
			if (value == JsonToken.VALUE_NULL) {
				return null;
			}
			if (value != JsonToken.VALUE_NUMBER_INT) {
				throw malformed();
			}
			return this.parser.getLongValue();
		}

		private UncheckedIOException malformed() {
			return new UncheckedIOException(new IOException("Malformed manifest entry near "
					+ this.parser.currentLocation().offsetDescription()));
		}

		/** {@code 2024-01-02T03:04:05.123456789Z} without the general parser; anything else through it. */
		static Instant instant(String text) {
			int n = text.length();
			if (n < 20 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
					|| text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z'
					|| (n > 20 && text.charAt(19) != '.') || n == 21) {
				return Instant.parse(text);
			}
			int nanos = 0;
			for (int i = 20; i < 29; i++) {
				nanos = nanos * 10 + ((i < n - 1) ? digit(text, i) : 0);
			}
			try {
				LocalDateTime time = LocalDateTime.of(digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2),
						digits(text, 11, 2), digits(text, 14, 2), digits(text, 17, 2), nanos);
				return time.toInstant(ZoneOffset.UTC);
			}
			catch (java.time.DateTimeException ex) {
				return Instant.parse(text);
			}
		}

		private static int digits(String text, int from, int count) {
			int value = 0;
			for (int i = from; i < from + count; i++) {
				value = value * 10 + digit(text, i);
			}
			return value;
		}

		private static int digit(String text, int index) {
			char c = text.charAt(index);
			if (c < '0' || c > '9') {
				throw new java.time.format.DateTimeParseException("Not a digit", text, index);
			}
			return c - '0';
		}

		@Override
		public SnapshotEntry peek() {
			return this.next;
		}

		@Override
		public boolean hasNext() {
			return this.next != null;
		}

		@Override
		public SnapshotEntry next() {
			if (this.next == null) {
				throw new NoSuchElementException();
			}
			SnapshotEntry entry = this.next;
			advance();
			return entry;
		}

		@Override
		public void close() {
			if (this.parser != null) {
				this.parser.close();
			}
		}

	}


	/**
	 * Entries parsed ahead on a thread of their own, in batches through a short queue: an incremental
	 * backup's walker compares every file with the previous manifest, and parsing it on the walker's
	 * thread was a quarter of the walk. Closing stops the parser.
	 */
	static final class ReadAhead implements Entries {

		private static final int BATCH = 512;

		private static final Object END = new Object();

		private final BlockingQueue<Object> batches = new ArrayBlockingQueue<>(8);

		private final Thread parser;

		private SnapshotEntry[] batch = new SnapshotEntry[0];

		private int at;

		private boolean ended;

		ReadAhead(InputStream in, String threadName) {
			Reader reader = new Reader(in);
			this.parser = new Thread(() -> parse(reader), threadName);
			this.parser.setDaemon(true);
			this.parser.start();
		}

		private void parse(Reader reader) {
			try (reader) {
				SnapshotEntry[] entries = new SnapshotEntry[BATCH];
				int n = 0;
				try {
					while (reader.hasNext()) {
						SnapshotEntry entry = reader.next();
						entries[n++] = entry;
						if (n == BATCH) {
							this.batches.put(entries);
							entries = new SnapshotEntry[BATCH];
							n = 0;
						}
					}
					if (n > 0) {
						this.batches.put(java.util.Arrays.copyOf(entries, n));
					}
					this.batches.put(END);
				}
				catch (RuntimeException ex) {
					// the entries before it first, then the failure, thrown where a plain reader throws it
					if (n > 0) {
						this.batches.put(java.util.Arrays.copyOf(entries, n));
					}
					this.batches.put(ex);
				}
			}
			catch (InterruptedException ex) {
				// closed: nobody reads further
			}
		}

		private boolean fill() {
			while (!this.ended && this.at >= this.batch.length) {
				Object next;
				try {
					next = this.batches.take();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException("Interrupted while reading the previous manifest", ex);
				}
				if (next == END) {
					this.ended = true;
				}
				else if (next instanceof RuntimeException failure) {
					this.ended = true;
					throw failure;
				}
				else {
					this.batch = (SnapshotEntry[]) next;
					this.at = 0;
				}
			}
			return this.at < this.batch.length;
		}

		@Override
		public boolean hasNext() {
			return fill();
		}

		@Override
		public SnapshotEntry peek() {
			return fill() ? this.batch[this.at] : null;
		}

		@Override
		public SnapshotEntry next() {
			if (!fill()) {
				throw new NoSuchElementException();
			}
			return this.batch[this.at++];
		}

		@Override
		public void close() {
			this.parser.interrupt();
			try {
				this.parser.join(1000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
