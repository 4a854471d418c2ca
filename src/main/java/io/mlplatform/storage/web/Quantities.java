package io.mlplatform.storage.web;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes quantities for byte sizes ({@code 500Gi}, {@code 1Ti}, {@code 1.5T}, {@code 1e9}), parsed
 * and formatted the way kubectl does, so sizes copied from manifests mean the same thing here.
 */
public final class Quantities {

	private static final Pattern QUANTITY = Pattern
		.compile("([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|[eE][+-]?[0-9]+)?");

	private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(Map.entry("Ki", pow2(10)),
			Map.entry("Mi", pow2(20)), Map.entry("Gi", pow2(30)), Map.entry("Ti", pow2(40)), Map.entry("Pi", pow2(50)),
			Map.entry("Ei", pow2(60)), Map.entry("k", BigDecimal.TEN.pow(3)), Map.entry("M", BigDecimal.TEN.pow(6)),
			Map.entry("G", BigDecimal.TEN.pow(9)), Map.entry("T", BigDecimal.TEN.pow(12)),
			Map.entry("P", BigDecimal.TEN.pow(15)), Map.entry("E", BigDecimal.TEN.pow(18)),
			Map.entry("m", new BigDecimal("0.001")));

	private static final String[] BINARY = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };

	private static final String[] DECIMAL = { "E", "P", "T", "G", "M", "k" };

	private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

	private Quantities() {
	}

	/**
	 * @return the size in bytes, rounded up to a whole byte as Kubernetes does
	 * @throws IllegalArgumentException with a message fit for a caller when it is not a valid size
	 */
	public static long parseBytes(String quantity) {
		if (quantity == null || quantity.isBlank()) {
			throw new IllegalArgumentException("must be a quantity such as 500Gi, 1Ti or 1.5T");
		}
		// strip, not trim: trim would also drop NUL and control characters, and accept "1Gi\0"
		Matcher m = QUANTITY.matcher(quantity.strip());
		if (quantity.length() > 64 || !m.matches()) {
			throw new IllegalArgumentException(
					"is not a Kubernetes quantity; use a number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei "
							+ "(powers of 1024) or k, M, G, T, P, E (powers of 1000), e.g. 500Gi");
		}
		BigDecimal number = new BigDecimal(m.group(1));
		String suffix = m.group(2);
		if (suffix != null) {
			if (!SUFFIXES.containsKey(suffix)) {
				// a decimal exponent (e3, E-2); "E" and "Ei" are suffixes. Bounded before parsing so a
				// huge exponent is "out of range", not a NumberFormatException or a scale overflow.
				String digits = suffix.substring(1).replaceFirst("^[+-]?0*", "");
				if (digits.length() > 2 || !digits.isEmpty() && Integer.parseInt(digits) > 30) {
					throw new IllegalArgumentException("is out of range");
				}
				number = number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
			}
			else {
				number = number.multiply(SUFFIXES.get(suffix));
			}
		}
		if (number.signum() < 0) {
			throw new IllegalArgumentException("must not be negative");
		}
		BigDecimal bytes = number.setScale(0, RoundingMode.CEILING);
		if (bytes.compareTo(MAX) > 0) {
			throw new IllegalArgumentException("is larger than the largest supported size (about 8Ei)");
		}
		return bytes.longValueExact();
	}

	/**
	 * The shortest exact form, binary suffix on a tie ({@code 1Gi}, {@code 1500G}, {@code 1k}), plain bytes
	 * when no suffix divides evenly.
	 */
	public static String format(long bytes) {
		if (bytes == 0) {
			return "0";
		}
		String binary = largestExact(bytes, BINARY);
		String decimal = largestExact(bytes, DECIMAL);
		return decimal.length() < binary.length() ? decimal : binary;
	}

	private static String largestExact(long bytes, String[] suffixes) {
		BigInteger value = BigInteger.valueOf(bytes);
		for (String suffix : suffixes) {
			BigInteger unit = SUFFIXES.get(suffix).toBigInteger();
			if (value.mod(unit).signum() == 0) {
				return value.divide(unit) + suffix;
			}
		}
		return Long.toString(bytes);
	}

	private static BigDecimal pow2(int exponent) {
		return new BigDecimal(BigInteger.ONE.shiftLeft(exponent));
	}

}
