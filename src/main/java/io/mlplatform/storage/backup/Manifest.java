package io.mlplatform.storage.backup;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import tools.jackson.databind.json.JsonMapper;

/**
 * The manifest format: gzip-compressed JSON lines, one {@link SnapshotEntry} per line, in
 * {@link PathOrder}. Read and written as streams, never held in memory as a whole.
 */
final class Manifest {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private Manifest() {
	}

	static final class Writer implements AutoCloseable {

		private final BufferedWriter out;

		private long entries;

		Writer(OutputStream out) {
			try {
				this.out = new BufferedWriter(
						new OutputStreamWriter(new GZIPOutputStream(out, 64 * 1024), StandardCharsets.UTF_8),
						64 * 1024);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		void write(SnapshotEntry entry) {
			try {
				this.out.write(JSON.writeValueAsString(entry));
				this.out.write('\n');
				this.entries++;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
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

	/** Entries one by one; {@link #peek()} lets a merge look ahead without consuming. */
	static final class Reader implements Iterator<SnapshotEntry>, AutoCloseable {

		private final BufferedReader in;

		private SnapshotEntry next;

		Reader(InputStream in) {
			try {
				this.in = new BufferedReader(
						new InputStreamReader(new GZIPInputStream(in, 64 * 1024), StandardCharsets.UTF_8), 64 * 1024);
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
			this.in = null;
		}

		private void advance() {
			try {
				String line;
				do {
					line = this.in.readLine();
				}
				while (line != null && line.isBlank());
				this.next = (line != null) ? JSON.readValue(line, SnapshotEntry.class) : null;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		SnapshotEntry peek() {
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
			try {
				if (this.in != null) {
					this.in.close();
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

}
