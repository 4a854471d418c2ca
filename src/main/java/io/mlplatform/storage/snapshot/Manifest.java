package io.mlplatform.storage.snapshot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;

/**
 * The manifest format: gzip-compressed JSON lines, one {@link SnapshotEntry} per line, in
 * {@link PathOrder}, as many gzip members (see {@link Writer}). Read and written as streams, never
 * held in memory as a whole.
 */
public final class Manifest {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private Manifest() {
	}

	/** A manifest's entries in order, with a look at the next one that does not consume it. */
	public interface Entries extends Iterator<SnapshotEntry>, AutoCloseable {

		/** The next entry, or null at the end. */
		public SnapshotEntry peek();

		/** The members of this manifest that a writer may copy, as they are read; null when not kept. */
		default Members members() {
			return null;
		}

		@Override
		public void close();

	}

	/**
	 * A gzip member of a manifest read whole: its entries and its bytes, header to trailer. It holds
	 * exactly those entries, one per line, nothing before the first or after the last line's end.
	 */
	public record Member(SnapshotEntry[] entries, byte[] gzip) {

		/** Whether writing {@code entries} would give what this member holds. */
		public boolean holds(List<SnapshotEntry> entries) {
			return Arrays.asList(this.entries).equals(entries);
		}

	}

	/**
	 * The members of the previous manifest between the parser and the writer of the next one, oldest
	 * first. The parser adds, the writer takes; at most {@code capacity} entries' worth are held, the
	 * oldest dropped beyond it (a dropped member is compressed anew, which costs time, never
	 * correctness), so a walk that skips far ahead in the previous manifest does not hold what it skipped.
	 */
	public static final class Members {

		private final ArrayDeque<Member> members = new ArrayDeque<>();

		private final int capacity;

		private int entries;

		public Members(int capacity) {
			this.capacity = capacity;
		}

		public synchronized void add(Member member) {
			this.members.add(member);
			this.entries += member.entries().length;
			while (this.entries > this.capacity) {
				this.entries -= this.members.remove().entries().length;
			}
		}

		/** The member that starts at {@code path}, if one does; the members before it are dropped. */
		public synchronized Member take(String path) {
			for (Member first = this.members.peek(); first != null; first = this.members.peek()) {
				int order = PathOrder.INSTANCE.compare(first.entries()[0].path(), path);
				if (order > 0) {
					return null;
				}
				this.members.remove();
				this.entries -= first.entries().length;
				if (order == 0) {
					return first;
				}
			}
			return null;
		}

		public synchronized int size() {
			return this.members.size();
		}

	}

	/**
	 * Writes entries as gzip members of about {@link #AVERAGE_MEMBER} entries each, cut after an entry whose
	 * path hashes to a mark: the cuts depend on the paths alone, so an unchanged stretch of a folder tree
	 * falls into the same members in the next snapshot, and a member of the previous manifest holding
	 * exactly the entries of a new one is copied as it is instead of being written and compressed again.
	 */
	public static final class Writer implements AutoCloseable {

		/**
		 * Entries per member on average: 32 costs about 4% in size against one member, and a 1% change
		 * spread evenly leaves some 70% of members as they were.
		 */
		static final int AVERAGE_MEMBER = 32;

		/** Entries per member at most, whatever the paths: what a member being gathered holds in memory. */
		static final int MAX_MEMBER = 1024;

		private final OutputStream out;

		private final Members previous;

		private final GzipMembers.Compressor compressor = new GzipMembers.Compressor();

		private final List<SnapshotEntry> member = new ArrayList<>();

		/** The lines of the member being written, when it is not copied. */
		private final StringBuilder text = new StringBuilder(64 * 1024);

		private long entries;

		private long members;

		private long copied;

		private boolean closed;

		public Writer(OutputStream out) {
			this(out, null);
		}

		/** A writer that copies what it can of {@code previous}; null for none. */
		public Writer(OutputStream out, Members previous) {
			this.out = new BufferedOutputStream(out, 64 * 1024);
			this.previous = previous;
		}

		public void write(SnapshotEntry entry) {
			this.member.add(entry);
			this.entries++;
			if (this.member.size() == MAX_MEMBER || cutsAfter(entry.path())) {
				endMember();
			}
		}

		/** Whether a member ends after the entry of this path: about one in {@link #AVERAGE_MEMBER}, by its hash. */
		public static boolean cutsAfter(String path) {
			// String.hashCode is specified, so every version of the service cuts at the same paths
			int h = path.hashCode();
			h ^= h >>> 16;
			h *= 0x85ebca6b;
			h ^= h >>> 13;
			h *= 0xc2b2ae35;
			h ^= h >>> 16;
			return (h & (AVERAGE_MEMBER - 1)) == 0;
		}

		private void endMember() {
			try {
				Member before = (this.previous != null) ? this.previous.take(this.member.get(0).path()) : null;
				if (before != null && before.holds(this.member)) {
					this.out.write(before.gzip());
					this.copied++;
				}
				else {
					this.text.setLength(0);
					for (SnapshotEntry entry : this.member) {
						line(entry);
					}
					// a lone surrogate becomes '?', as any UTF-8 writer of Java's replaces it
					byte[] content = this.text.toString().getBytes(StandardCharsets.UTF_8);
					this.compressor.member(content, content.length, this.out);
				}
				this.members++;
				this.member.clear();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		/**
		 * One line, the record's fields in order, nulls left out: what the reader and any JSON tool read.
		 * Appended straight to the member's text.
		 */
		private void line(SnapshotEntry entry) {
			StringBuilder line = this.text;
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
		}

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
		public static StringBuilder instant(StringBuilder line, Instant time) {
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
			// a field is the line's first right after its brace: every value ends with a quote or a digit
			if (line.charAt(line.length() - 1) != '{') {
				line.append(',');
			}
			line.append('"').append(name).append("\":");
		}

		public long entries() {
			return this.entries;
		}

		/** Members written so far, and how many of them were copied from the previous manifest. */
		public long members() {
			return this.members;
		}

		public long copied() {
			return this.copied;
		}

		/** Ends the last member and the stream; once. */
		@Override
		public void close() {
			if (this.closed) {
				return;
			}
			this.closed = true;
			try (this.compressor; OutputStream out = this.out) {
				if (!this.member.isEmpty()) {
					endMember();
				}
				else if (this.members == 0) {
					// a manifest of no entries is still gzip: one empty member
					this.compressor.member(new byte[0], 0, out);
					this.members++;
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

	/**
	 * Adds the contents a manifest references to {@code into}, by sha256 with their sizes: what counting a
	 * snapshot in its storage's backup space needs. Only those two fields of each entry are read; the rest
	 * is skipped unread (a {@link Reader} makes every entry's path and time, most of its work).
	 * @throws UncheckedIOException if the manifest is not one
	 */
	public static void contents(InputStream in, java.util.Map<String, Long> into) {
		try (JsonParser parser = JSON.createParser(new GzipMembers.Reader(in, null))) {
			for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
				if (token != JsonToken.START_OBJECT) {
					throw malformed(parser);
				}
				String sha256 = null;
				Long size = null;
				for (String name = parser.nextName(); name != null; name = parser.nextName()) {
					JsonToken value = parser.nextToken();
					switch (name) {
						case "sha256" -> sha256 = string(parser, value);
						case "size" -> size = number(parser, value);
						default -> parser.skipChildren();
					}
				}
				if (sha256 != null) {
					into.put(sha256, size);
				}
			}
		}
	}

	/** The string value the parser is at, or null; refused if it is neither. */
	private static String string(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_NULL) {
			return null;
		}
		if (value != JsonToken.VALUE_STRING) {
			throw malformed(parser);
		}
		return parser.getString();
	}

	/** The whole number the parser is at, or null; refused if it is neither. */
	private static Long number(JsonParser parser, JsonToken value) {
		if (value == JsonToken.VALUE_NULL) {
			return null;
		}
		if (value != JsonToken.VALUE_NUMBER_INT) {
			throw malformed(parser);
		}
		return parser.getLongValue();
	}

	private static UncheckedIOException malformed(JsonParser parser) {
		return new UncheckedIOException(new IOException("Malformed manifest entry near "
				+ parser.currentLocation().offsetDescription()));
	}

	/**
	 * Entries one by one; {@link #peek()} lets a merge look ahead without consuming. Parsed as a
	 * stream of JSON values with field-by-field code: an incremental backup reads every entry of the
	 * previous manifest, and generic record binding (with its date parsing) was most of its time.
	 */
	public static final class Reader implements Entries {

		private final JsonParser parser;

		/** Gathers the members read and their entries for a writer; null when nobody copies them. */
		private final Tracker tracker;

		private SnapshotEntry next;

		public Reader(InputStream in) {
			this(in, null);
		}

		/** A reader that hands each member read, with its entries, to {@code members} (null for none). */
		public Reader(InputStream in, Members members) {
			this.tracker = (members != null) ? new Tracker(members) : null;
			// bytes, not chars: Jackson decodes UTF-8 itself, faster than a reader in front of it
			this.parser = JSON.createParser(new GzipMembers.Reader(in, this.tracker));
			advance();
		}

		/** A reader of no entries: the first snapshot of a storage has no previous one. */
		public static Reader empty() {
			return new Reader();
		}

		private Reader() {
			this.parser = null;
			this.tracker = null;
		}

		private void advance() {
			JsonToken token = this.parser.nextToken();
			if (token == null) {
				this.next = null;
				if (this.tracker != null) {
					this.tracker.end();
				}
				return;
			}
			if (token != JsonToken.START_OBJECT) {
				throw malformed();
			}
			long start = (this.tracker != null) ? this.parser.currentTokenLocation().getByteOffset() : 0;
			// fields read, one bit each: an entry with a field twice or one unknown is not plain
			int seen = 0;
			boolean plain = true;
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
				int field;
				switch (name) {
					case "path" -> {
						path = string(value);
						field = 1;
					}
					case "type" -> {
						type = string(value);
						field = 2;
					}
					case "mode" -> {
						mode = string(value);
						field = 4;
					}
					case "mtime" -> {
						String time = string(value);
						mtime = (time != null) ? instant(time) : null;
						field = 8;
					}
					case "size" -> {
						size = number(value);
						field = 16;
					}
					case "sha256" -> {
						sha256 = string(value);
						field = 32;
					}
					case "blob" -> {
						blob = string(value);
						field = 64;
					}
					case "pack" -> {
						pack = string(value);
						field = 128;
					}
					case "offset" -> {
						offset = number(value);
						field = 256;
					}
					case "target" -> {
						target = string(value);
						field = 512;
					}
					case "inode" -> {
						inode = number(value);
						field = 1024;
					}
					default -> {
						this.parser.skipChildren();
						field = 0;
					}
				}
				plain &= field != 0 && (seen & field) == 0;
				seen |= field;
			}
			this.next = new SnapshotEntry(path, type, mode, mtime, size, sha256, blob, pack, offset, target, inode);
			if (this.tracker != null) {
				this.tracker.entry(this.next, start, this.parser.currentLocation().getByteOffset(), plain);
			}
		}

		private String string(JsonToken value) {
			return Manifest.string(this.parser, value);
		}

		private Long number(JsonToken value) {
			return Manifest.number(this.parser, value);
		}

		private UncheckedIOException malformed() {
			return Manifest.malformed(this.parser);
		}

		/** {@code 2024-01-02T03:04:05.123456789Z} without the general parser; anything else through it. */
		public static Instant instant(String text) {
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
	 * Puts the entries a reader parses together with the gzip members they came from. A member goes to
	 * the writer only if it holds whole lines of plain entries and nothing else: its first entry starts
	 * where it starts, and it ends with the newline after its last. Anything else (a member cut inside a
	 * line, or the single member of a manifest written before members) is left for the writer to
	 * compress anew.
	 */
	private static final class Tracker implements GzipMembers.Listener {

		private record Read(long start, long end, int last, byte[] gzip) {
		}

		private final Members sink;

		/** Members read whole, whose entries the parser has not all reached yet. */
		private final ArrayDeque<Read> read = new ArrayDeque<>();

		/** The entries parsed since the last member was settled. */
		private final List<SnapshotEntry> entries = new ArrayList<>();

		private long start;

		private long end;

		private boolean plain = true;

		/** More entries than a writer ever puts in a member: not one of ours, and not held. */
		private boolean overflow;

		public Tracker(Members sink) {
			this.sink = sink;
		}

		@Override
		public void member(long start, long end, int last, byte[] compressed) {
			this.read.add(new Read(start, end, last, compressed));
		}

		/** An entry parsed from {@code [start, end)} of the uncompressed stream. */
		public void entry(SnapshotEntry entry, long start, long end, boolean plain) {
			// a member is read whole before any byte after it is parsed
			settle(start);
			if (this.entries.isEmpty() && !this.overflow) {
				this.start = start;
			}
			if (this.entries.size() == Writer.MAX_MEMBER) {
				this.overflow = true;
				this.entries.clear();
			}
			else if (!this.overflow) {
				this.entries.add(entry);
			}
			this.end = end;
			this.plain &= plain;
		}

		public void end() {
			settle(Long.MAX_VALUE);
		}

		private void settle(long upTo) {
			while (!this.read.isEmpty() && this.read.peek().end() <= upTo) {
				Read member = this.read.remove();
				if (member.gzip() != null && !this.overflow && this.plain && !this.entries.isEmpty()
						&& this.start == member.start()
						&& this.end == member.end() - 1 && member.last() == '\n') {
					this.sink.add(new Member(this.entries.toArray(new SnapshotEntry[0]), member.gzip()));
				}
				this.entries.clear();
				this.overflow = false;
				this.plain = true;
			}
		}

	}

	/**
	 * Entries parsed ahead on a thread of their own, in batches through a short queue: an incremental
	 * backup's walker compares every file with the previous manifest, and parsing it on the walker's
	 * thread was a quarter of the walk. Closing stops the parser.
	 */
	public static final class ReadAhead implements Entries {

		private static final int BATCH = 512;

		private static final int QUEUED = 8;

		/** How far the parser runs ahead of the walk: the batches queued, the one it fills and the one being read. */
		static final int LEAD = BATCH * (QUEUED + 2);

		private static final Object END = new Object();

		private final BlockingQueue<Object> batches = new ArrayBlockingQueue<>(QUEUED);

		private final Thread parser;

		private SnapshotEntry[] batch = new SnapshotEntry[0];

		private int at;

		private boolean ended;

		private final Members members;

		public ReadAhead(InputStream in, String threadName) {
			this(in, threadName, -1);
		}

		/**
		 * Keeps the members read for a writer that trails the walk by at most {@code trail} entries;
		 * none when negative.
		 */
		public ReadAhead(InputStream in, String threadName, int trail) {
			this.members = (trail >= 0) ? new Members(trail + LEAD + 2 * Writer.MAX_MEMBER) : null;
			Reader reader = new Reader(in, this.members);
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
		public Members members() {
			return this.members;
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
