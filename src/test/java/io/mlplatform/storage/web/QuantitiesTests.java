package io.mlplatform.storage.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class QuantitiesTests {

	private static final long KI = 1024L;

	private static final long GI = KI * KI * KI;

	private static final long TI = GI * KI;

	@ParameterizedTest
	@ValueSource(strings = { "1Gi\u0000", "\u00001Gi", "1Gi\u0007", "\u001b1Gi", "1\u0000Gi" })
	void refusesControlCharactersAroundOrInsideAQuantity(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity));
	}

	@Test
	void parsesBinarySuffixesAsPowersOf1024() {
		assertThat(Quantities.parseBytes("1Ki")).isEqualTo(1024L);
		assertThat(Quantities.parseBytes("1Mi")).isEqualTo(1024L * 1024);
		assertThat(Quantities.parseBytes("500Gi")).isEqualTo(500 * GI);
		assertThat(Quantities.parseBytes("1Ti")).isEqualTo(TI);
		assertThat(Quantities.parseBytes("1Pi")).isEqualTo(TI * KI);
		assertThat(Quantities.parseBytes("1Ei")).isEqualTo(1L << 60);
	}

	@Test
	void parsesDecimalSuffixesAsPowersOf1000() {
		assertThat(Quantities.parseBytes("1k")).isEqualTo(1_000L);
		assertThat(Quantities.parseBytes("100M")).isEqualTo(100_000_000L);
		assertThat(Quantities.parseBytes("2G")).isEqualTo(2_000_000_000L);
		assertThat(Quantities.parseBytes("1.5T")).isEqualTo(1_500_000_000_000L);
		assertThat(Quantities.parseBytes("1P")).isEqualTo(1_000_000_000_000_000L);
		assertThat(Quantities.parseBytes("1E")).isEqualTo(1_000_000_000_000_000_000L);
	}

	@Test
	void parsesPlainNumbersAsBytes() {
		assertThat(Quantities.parseBytes("0")).isZero();
		assertThat(Quantities.parseBytes("1023")).isEqualTo(1023L);
		assertThat(Quantities.parseBytes("+5")).isEqualTo(5L);
		assertThat(Quantities.parseBytes(String.valueOf(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
	}

	@Test
	void parsesDecimalExponentsInEitherCase() {
		assertThat(Quantities.parseBytes("1e9")).isEqualTo(1_000_000_000L);
		assertThat(Quantities.parseBytes("1E3")).isEqualTo(1_000L);
		assertThat(Quantities.parseBytes("1.5e3")).isEqualTo(1_500L);
		assertThat(Quantities.parseBytes("2e+3")).isEqualTo(2_000L);
		assertThat(Quantities.parseBytes("5e0")).isEqualTo(5L);
		assertThat(Quantities.parseBytes("1e-0")).isEqualTo(1L);
		assertThat(Quantities.parseBytes("1e0000000000000003")).isEqualTo(1_000L);
		assertThat(Quantities.parseBytes("1e18")).isEqualTo(1_000_000_000_000_000_000L);
	}

	@Test
	void readsCapitalEAloneAsExaAndBeforeIAsExbiButFollowedByDigitsAsExponent() {
		assertThat(Quantities.parseBytes("2E")).isEqualTo(2_000_000_000_000_000_000L);
		assertThat(Quantities.parseBytes("2Ei")).isEqualTo(2L << 60);
		assertThat(Quantities.parseBytes("2E2")).isEqualTo(200L);
	}

	@Test
	void parsesFractionsOfBinaryUnits() {
		assertThat(Quantities.parseBytes("0.5Ki")).isEqualTo(512L);
		assertThat(Quantities.parseBytes(".5Gi")).isEqualTo(GI / 2);
		assertThat(Quantities.parseBytes("1.5Gi")).isEqualTo(GI + GI / 2);
		assertThat(Quantities.parseBytes("1.Ki")).isEqualTo(1024L);
	}

	@Test
	void roundsFractionalBytesUpAsKubernetesDoes() {
		assertThat(Quantities.parseBytes("1.1Ki")).isEqualTo(1127L);
		assertThat(Quantities.parseBytes("0.1")).isEqualTo(1L);
		assertThat(Quantities.parseBytes("1.0001")).isEqualTo(2L);
		assertThat(Quantities.parseBytes("5e-1")).isEqualTo(1L);
	}

	@Test
	void roundsMilliBytesUpToAWholeByte() {
		assertThat(Quantities.parseBytes("500m")).isEqualTo(1L);
		assertThat(Quantities.parseBytes("1m")).isEqualTo(1L);
		assertThat(Quantities.parseBytes("1000m")).isEqualTo(1L);
		assertThat(Quantities.parseBytes("1001m")).isEqualTo(2L);
		assertThat(Quantities.parseBytes("0m")).isZero();
	}

	@Test
	void toleratesSurroundingWhitespace() {
		assertThat(Quantities.parseBytes(" 500Gi ")).isEqualTo(500 * GI);
	}

	@ParameterizedTest
	@ValueSource(strings = { "-1", "-1Gi", "-0.5Ki", "-1e3" })
	void rejectsNegativeSizes(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessage("must not be negative");
	}

	@ParameterizedTest
	@ValueSource(strings = { "lots", "10 Gi", "Gi", "1..5Gi", "1.5.Gi", ".", "1K", "1gi", "1GiB", "1Gi1", "0x10",
			"1e", "1e1.5", "Ki5", "1 000", "1_000", "++1", "1ki" })
	void rejectsTextThatIsNotAQuantity(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessageStartingWith("is not a Kubernetes quantity");
	}

	@ParameterizedTest
	@NullAndEmptySource
	@ValueSource(strings = { "   ", "\t" })
	void rejectsMissingQuantityWithAnExample(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessageContaining("500Gi");
	}

	@Test
	void rejectsOverlongInputBeforeParsingIt() {
		String quantity = "1".repeat(65);
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessageStartingWith("is not a Kubernetes quantity");
	}

	@ParameterizedTest
	@ValueSource(strings = { "100Ei", "8Ei", "9223372036854775808", "10E", "1e30", "9.3E18" })
	void rejectsSizesBeyondTheLargestLong(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessageContaining("larger than the largest supported size");
	}

	@Test
	void acceptsTheLargestWholeBinaryUnitThatFits() {
		assertThat(Quantities.parseBytes("7Ei")).isEqualTo(7L << 60);
	}

	@ParameterizedTest
	@ValueSource(strings = { "1e31", "1e-31", "1e99999999999", "1e-99999999999", "1E2147483648", "1e-2147483648",
			"1e+0000000031" })
	void rejectsExtremeExponentsAsOutOfRangeWithoutLeakingParserErrors(String quantity) {
		assertThatIllegalArgumentException().isThrownBy(() -> Quantities.parseBytes(quantity))
			.withMessage("is out of range");
	}

	@ParameterizedTest
	@CsvSource({ "1073741824, 1Gi", "1500000000000, 1500G", "1000, 1k", "1023, 1023", "0, 0", "1024, 1Ki",
			"536870912000, 500Gi", "1099511627776, 1Ti", "2147483648, 2Gi", "1000000, 1M", "1536, 1536",
			"1, 1", "1152921504606846976, 1Ei", "1000000000000000000, 1E", "9223372036854775807, 9223372036854775807" })
	void formatsAsTheShortestExactForm(long bytes, String expected) {
		assertThat(Quantities.format(bytes)).isEqualTo(expected);
	}

	@Test
	void formatsWithTheLargestSuffixThatDividesEvenly() {
		assertThat(Quantities.format(1536 * KI)).isEqualTo("1536Ki");
		assertThat(Quantities.format(2048 * KI * KI)).isEqualTo("2Gi");
		assertThat(Quantities.format(1_500_000L)).isEqualTo("1500k");
	}

	@Test
	void prefersADecimalSuffixWhenItIsShorter() {
		// 1024000 is 1000Ki and 1024k; 512000 is 500Ki and 512k
		assertThat(Quantities.format(1_024_000L)).isEqualTo("1024k");
		assertThat(Quantities.format(512_000L)).isEqualTo("512k");
	}

	@Test
	void prefersABinarySuffixOnATie() {
		// 10112000 is 9875Ki and 10112k, six characters each
		assertThat(Quantities.format(10_112_000L)).isEqualTo("9875Ki");
	}

	@ParameterizedTest
	@ValueSource(strings = { "500Gi", "1Ti", "1500G", "1k", "1023", "0", "1Ki", "7Ei", "3Mi", "999", "9875Ki", "1E" })
	void canonicalFormsRoundTrip(String quantity) {
		assertThat(Quantities.format(Quantities.parseBytes(quantity))).isEqualTo(quantity);
	}

	@ParameterizedTest
	@ValueSource(longs = { 0, 1, 999, 1000, 1023, 1024, 1025, 4096, 1_500_000_000_000L, 536_870_912_000L, 10_112_000L,
			123_456_789L, Long.MAX_VALUE, 7L << 60 })
	void formattedSizesParseBackToTheSameBytes(long bytes) {
		assertThat(Quantities.parseBytes(Quantities.format(bytes))).isEqualTo(bytes);
	}

	@ParameterizedTest
	@CsvSource({ "1.5T, 1500G", "2048Mi, 2Gi", "1e9, 1G", "0.5Ki, 512", "1024Ki, 1Mi", "1000k, 1M", "1.1Ki, 1127",
			"500m, 1" })
	void nonCanonicalInputFormatsCanonically(String quantity, String canonical) {
		assertThat(Quantities.format(Quantities.parseBytes(quantity))).isEqualTo(canonical);
	}

}
