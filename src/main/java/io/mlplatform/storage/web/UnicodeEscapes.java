package io.mlplatform.storage.web;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Finds what JSON lets through but text cannot hold: a {@code \}{@code uD800}-style escape of half a
 * surrogate pair. Jackson decodes it into a Java string as it is, and the database driver then
 * writes it as '?', so a name or member that was sent is not the one stored.
 */
final class UnicodeEscapes {

	private UnicodeEscapes() {
	}

	/** @return the offset (in characters) of the first unpaired surrogate in the JSON text, or -1 */
	static int unpairedSurrogate(byte[] json) {
		Charset charset = charset(json);
		if (charset == StandardCharsets.ISO_8859_1 && !escapes(json)) {
			// read byte for byte, a body holds a surrogate only as an escape: most (a mover's batches of hashes,
			// 100 KB each) have none, and decoding them into characters to find none was 3% of the service's CPU
			return -1;
		}
		CharSequence text;
		try {
			text = charset.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(json));
		}
		catch (CharacterCodingException ex) {
			// not text in its own encoding: the parser says so in its own words
			return -1;
		}
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c != '\\') {
				if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
					i++;
				}
				else if (Character.isSurrogate(c)) {
					return i;
				}
				continue;
			}
			int unit = escaped(text, i);
			if (unit < 0) {
				i++;
				continue;
			}
			if (Character.isHighSurrogate((char) unit) && Character.isLowSurrogate((char) escaped(text, i + 6))) {
				i += 11;
			}
			else if (Character.isSurrogate((char) unit)) {
				return i;
			}
			else {
				i += 5;
			}
		}
		return -1;
	}

	/** The code unit of a {@code \}{@code uXXXX} escape at {@code at}, or -1 if there is none. */
	private static int escaped(CharSequence text, int at) {
		if (at + 5 >= text.length() || text.charAt(at) != '\\' || text.charAt(at + 1) != 'u') {
			return -1;
		}
		int unit = 0;
		for (int i = at + 2; i < at + 6; i++) {
			int digit = Character.digit(text.charAt(i), 16);
			if (digit < 0) {
				return -1;
			}
			unit = unit * 16 + digit;
		}
		return unit;
	}

	private static boolean escapes(byte[] json) {
		for (byte b : json) {
			if (b == '\\') {
				return true;
			}
		}
		return false;
	}

	/**
	 * JSON in UTF-16 or UTF-32 is told by its zero bytes (RFC 4627); anything else is read byte for
	 * byte, which keeps every escape as it is.
	 */
	private static Charset charset(byte[] json) {
		Charset charset = StandardCharsets.ISO_8859_1;
		if (json.length >= 2 && (json[0] == 0 || json[1] == 0 || (json[0] & 0xff) >= 0xfe)) {
			boolean utf32 = json.length >= 4 && ((json[0] == 0 && json[1] == 0) || (json[2] == 0 && json[3] == 0));
			charset = utf32 ? Charset.forName("UTF-32") : StandardCharsets.UTF_16;
			if (!utf32 && json[0] != 0 && (json[0] & 0xff) < 0xfe) {
				charset = StandardCharsets.UTF_16LE;
			}
		}
		return charset;
	}

}
