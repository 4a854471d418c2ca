package io.mlplatform.storage.snapshot;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Gzip as RFC 1952 defines it: any number of members back to back, each a deflate stream with its
 * own CRC-32 and length. A manifest is written as many small members so that the next backup can
 * copy those whose entries did not change instead of compressing them again; {@code gunzip},
 * {@code zcat} and Python's {@code gzip} read them as one stream.
 */
public final class GzipMembers {

	private static final int MAGIC_1 = 0x1f;

	private static final int MAGIC_2 = 0x8b;

	private static final int DEFLATE = 8;

	private static final int FHCRC = 2;

	private static final int FEXTRA = 4;

	private static final int FNAME = 8;

	private static final int FCOMMENT = 16;

	/** No flags, no time, no name: a member depends on its content alone, so equal content gives equal bytes. */
	private static final byte[] HEADER = { MAGIC_1, (byte) MAGIC_2, DEFLATE, 0, 0, 0, 0, 0, 0, (byte) 0xff };

	private GzipMembers() {
	}

	/** Compresses members one at a time, at the fastest level: a manifest is mostly hex digests. */
	public static final class Compressor implements AutoCloseable {

		private final Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);

		private final CRC32 crc = new CRC32();

		private final byte[] buffer = new byte[32 * 1024];

		/** Writes {@code content} to {@code out} as one complete member. */
		public void member(byte[] content, int length, OutputStream out) throws IOException {
			out.write(HEADER);
			this.deflater.reset();
			this.deflater.setInput(content, 0, length);
			this.deflater.finish();
			while (!this.deflater.finished()) {
				int n = this.deflater.deflate(this.buffer);
				out.write(this.buffer, 0, n);
			}
			this.crc.reset();
			this.crc.update(content, 0, length);
			int check = (int) this.crc.getValue();
			out.write(new byte[] { (byte) check, (byte) (check >>> 8), (byte) (check >>> 16), (byte) (check >>> 24),
					(byte) length, (byte) (length >>> 8), (byte) (length >>> 16), (byte) (length >>> 24) });
		}

		@Override
		public void close() {
			this.deflater.end();
		}

	}

	/** Told of each member once it has been read whole and checked. */
	public interface Listener {

		/**
		 * @param start offset of the member's first uncompressed byte in the whole stream
		 * @param end offset just after its last
		 * @param last its last uncompressed byte, or -1 when it has none
		 * @param compressed the member exactly as it was read, header to trailer; null when it was over
		 * {@link Reader#KEPT_AT_MOST} bytes
		 */
		public void member(long start, long end, int last, byte[] compressed);

	}

	/**
	 * Reads every member to the end of the input, strictly: each member's CRC-32 and length are
	 * checked, and bytes after a member that do not start another one fail the read. The JDK's
	 * {@code GZIPInputStream} (before JDK 23) ends quietly at a member boundary when its source has
	 * nothing available at that moment (JDK-7036144), which would cut a manifest short without a word.
	 */
	public static final class Reader extends InputStream {

		/**
		 * The most compressed bytes of one member kept for a listener. A manifest's members are far smaller;
		 * one written before members is a single member of the whole manifest, which must not be held in memory.
		 */
		static final int KEPT_AT_MOST = 1 << 20;

		private final InputStream in;

		private final Listener listener;

		private final Inflater inflater = new Inflater(true);

		private final CRC32 crc = new CRC32();

		private final byte[] buffer = new byte[64 * 1024];

		/** Unread input is {@code buffer[at, end)}; the inflater, when it has input, holds exactly that. */
		private int at;

		private int end;

		private boolean inMember;

		private boolean ended;

		private long members;

		private long position;

		private long memberStart;

		private int last = -1;

		/** The current member's compressed bytes, kept only for a listener. */
		private byte[] kept;

		/** How many of {@link #kept} hold the current member; -1 once it grew over {@link #KEPT_AT_MOST}. */
		private int keptLength;

		public Reader(InputStream in) {
			this(in, null);
		}

		public Reader(InputStream in, Listener listener) {
			this.in = in;
			this.listener = listener;
		}

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] b, int off, int len) throws IOException {
			java.util.Objects.checkFromIndexSize(off, len, b.length);
			if (len == 0) {
				return 0;
			}
			while (!this.ended) {
				if (!this.inMember) {
					if (!startMember()) {
						this.ended = true;
						break;
					}
				}
				if (this.inflater.needsInput()) {
					if (this.at == this.end && !fill()) {
						throw new EOFException("Unexpected end of a gzip member");
					}
					this.inflater.setInput(this.buffer, this.at, this.end - this.at);
				}
				int n;
				try {
					n = this.inflater.inflate(b, off, len);
				}
				catch (DataFormatException ex) {
					throw new ZipException("Corrupt gzip member: " + ex.getMessage());
				}
				consume(this.end - this.at - this.inflater.getRemaining());
				if (n > 0) {
					this.crc.update(b, off, n);
					this.position += n;
					this.last = b[off + n - 1] & 0xff;
					return n;
				}
				if (this.inflater.finished()) {
					endMember();
				}
				else if (this.inflater.needsDictionary()) {
					throw new ZipException("Corrupt gzip member: it asks for a preset dictionary");
				}
			}
			return -1;
		}

		/** Reads the next member's header; false at the end of the input after at least one member. */
		private boolean startMember() throws IOException {
			if (this.at == this.end && !fill()) {
				if (this.members == 0) {
					throw new EOFException("Empty input: not gzip");
				}
				return false;
			}
			this.keptLength = 0;
			if (byteOf() != MAGIC_1 || byteOf() != MAGIC_2) {
				throw new ZipException((this.members == 0) ? "Not in gzip format" : "Bytes after the last gzip member");
			}
			if (byteOf() != DEFLATE) {
				throw new ZipException("Unsupported gzip compression method");
			}
			int flags = byteOf();
			if ((flags & 0xe0) != 0) {
				throw new ZipException("Reserved gzip header flags set");
			}
			for (int i = 0; i < 6; i++) {
				byteOf(); // time, extra flags, operating system
			}
			if ((flags & FEXTRA) != 0) {
				int length = byteOf() | (byteOf() << 8);
				for (int i = 0; i < length; i++) {
					byteOf();
				}
			}
			if ((flags & FNAME) != 0) {
				while (byteOf() != 0) {
					// a zero-terminated name
				}
			}
			if ((flags & FCOMMENT) != 0) {
				while (byteOf() != 0) {
					// a zero-terminated comment
				}
			}
			if ((flags & FHCRC) != 0) {
				byteOf();
				byteOf();
			}
			this.inflater.reset();
			this.crc.reset();
			this.memberStart = this.position;
			this.last = -1;
			this.inMember = true;
			return true;
		}

		private void endMember() throws IOException {
			long check = unsignedInt();
			long size = unsignedInt();
			if (check != this.crc.getValue() || size != (this.inflater.getBytesWritten() & 0xffffffffL)) {
				throw new ZipException("Corrupt gzip member: its CRC-32 or length does not match its content");
			}
			this.inMember = false;
			this.members++;
			if (this.listener != null) {
				this.listener.member(this.memberStart, this.position, this.last,
						(this.keptLength >= 0) ? Arrays.copyOf(this.kept, this.keptLength) : null);
			}
		}

		private long unsignedInt() throws IOException {
			return byteOf() | (byteOf() << 8) | (byteOf() << 16) | ((long) byteOf() << 24);
		}

		private int byteOf() throws IOException {
			if (this.at == this.end && !fill()) {
				throw new EOFException("Unexpected end of a gzip member");
			}
			int b = this.buffer[this.at] & 0xff;
			consume(1);
			return b;
		}

		/** Moves past {@code n} bytes of input, keeping them for the listener. */
		private void consume(int n) {
			if (this.listener != null && n > 0 && this.keptLength >= 0) {
				if (this.keptLength + n > KEPT_AT_MOST) {
					this.keptLength = -1;
				}
				else {
					if (this.kept == null || this.keptLength + n > this.kept.length) {
						this.kept = Arrays.copyOf((this.kept == null) ? new byte[0] : this.kept,
								Math.max(this.keptLength + n, Math.max(4096, 2 * this.keptLength)));
					}
					System.arraycopy(this.buffer, this.at, this.kept, this.keptLength, n);
					this.keptLength += n;
				}
			}
			this.at += n;
		}

		/** Refills the buffer once it is used up; false at the end of the input. */
		private boolean fill() throws IOException {
			int n = this.in.read(this.buffer, 0, this.buffer.length);
			while (n == 0) {
				n = this.in.read(this.buffer, 0, this.buffer.length);
			}
			if (n < 0) {
				return false;
			}
			this.at = 0;
			this.end = n;
			return true;
		}

		@Override
		public void close() throws IOException {
			this.inflater.end();
			this.in.close();
		}

	}

}
