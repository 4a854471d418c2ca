package io.mlplatform.storage.snapshot;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A part of a file as a stream: the body of one PUT or one part of a multipart upload. */
public final class FileSlice {

	private FileSlice() {
	}

	/** Bytes {@code [offset, offset + length)} of a file, read as they are sent. */
	public static InputStream open(Path file, long offset, long length) {
		try {
			FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
			channel.position(offset);
			return new BufferedInputStream(new Bounded(Channels.newInputStream(channel), length), 256 * 1024);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Reads at most a fixed number of bytes. */
	private static final class Bounded extends FilterInputStream {

		private long remaining;

		Bounded(InputStream in, long remaining) {
			super(in);
			this.remaining = remaining;
		}

		@Override
		public int read() throws IOException {
			if (this.remaining <= 0) {
				return -1;
			}
			int b = super.read();
			if (b >= 0) {
				this.remaining--;
			}
			return b;
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			if (this.remaining <= 0) {
				return -1;
			}
			int n = super.read(buffer, offset, (int) Math.min(length, this.remaining));
			if (n > 0) {
				this.remaining -= n;
			}
			return n;
		}

	}

}
