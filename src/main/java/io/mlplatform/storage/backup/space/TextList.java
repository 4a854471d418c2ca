package io.mlplatform.storage.backup.space;

import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * A list of hashes, keys or ids passed to PostgreSQL as one {@code bytea} of comma-separated elements, which the
 * statement reads back as an array with {@link #ARRAY}. The driver encodes a {@code String[]} element by element
 * into a buffer that grows copy by copy: while movers backed up, that was 29% of all the service allocated
 * (async-profiler {@code event=alloc}, 2026-12-05), and the young collections it brought landed in the backups'
 * CPU. One buffer of the list's own length is a fifth of those bytes.
 * <p>
 * Elements must not contain a comma nor be the null marker {@code -} (hex hashes, pack ids and object keys do not);
 * a null element reads back as NULL.
 */
public final class TextList {

	/** The SQL that reads one such parameter back as a {@code text[]}. */
	public static final String ARRAY = "string_to_array(convert_from(?, 'UTF8'), ',', '-')";

	private static final byte NULL = '-';

	private TextList() {
	}

	public static byte[] of(Collection<String> elements) {
		return of(elements.toArray(String[]::new));
	}

	public static byte[] of(String[] elements) {
		int length = Math.max(0, elements.length - 1);
		for (String element : elements) {
			length += (element != null) ? element.length() : 1;
		}
		byte[] joined = new byte[length];
		int at = 0;
		for (int i = 0; i < elements.length; i++) {
			if (i > 0) {
				joined[at++] = ',';
			}
			String element = elements[i];
			if (element == null) {
				joined[at++] = NULL;
				continue;
			}
			if (element.isEmpty() || element.equals("-")) {
				throw new IllegalArgumentException("An element may not be empty nor '-'");
			}
			for (int c = 0; c < element.length(); c++) {
				char ch = element.charAt(c);
				if (ch == ',' || ch > 0x7F) {
					return nonAscii(elements);
				}
				joined[at++] = (byte) ch;
			}
		}
		return joined;
	}

	/** The rare list that is not ASCII (an object key may be any UTF-8): joined as a string, then encoded. */
	private static byte[] nonAscii(String[] elements) {
		StringBuilder joined = new StringBuilder();
		for (int i = 0; i < elements.length; i++) {
			String element = elements[i];
			if (element != null && (element.isEmpty() || element.equals("-") || element.indexOf(',') >= 0)) {
				throw new IllegalArgumentException("An element may not be empty nor '-' nor contain a comma");
			}
			joined.append((i > 0) ? "," : "").append((element != null) ? element : "-");
		}
		return joined.toString().getBytes(StandardCharsets.UTF_8);
	}

}
