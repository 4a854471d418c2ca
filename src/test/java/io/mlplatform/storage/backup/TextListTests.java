package io.mlplatform.storage.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.space.TextList;
import io.mlplatform.storage.snapshot.Sha256;

/** What PostgreSQL reads back from a {@link TextList} is the list that was passed, nulls and all. */
class TextListTests {

	private final JdbcClient db = JdbcClient.create(BackupTestSupport.dataSource());

	@Test
	void postgresReadsBackTheListThatWasPassed() {
		List<String> hashes = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			hashes.add(Sha256.of(new byte[] { (byte) i, (byte) (i >> 8) }));
		}
		assertThat(readBack(hashes.toArray(String[]::new))).containsExactlyElementsOf(hashes);
		assertThat(readBack(new String[] { "pack-1", null, "pack-2", null })).containsExactly("pack-1", null, "pack-2",
				null);
		assertThat(readBack(new String[] { null })).containsExactly((String) null);
		assertThat(readBack(new String[] { "x" })).containsExactly("x");
		assertThat(readBack(new String[0])).isEmpty();
	}

	@Test
	void anObjectKeyOutsideAsciiIsSentAsUtf8() {
		String[] keys = { "projects/p/manifests/s/été.json", null, "projects/p/packs/ab/abcd" };
		assertThat(readBack(keys)).containsExactly(keys);
	}

	@Test
	void anElementPostgresCouldNotTellApartIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> TextList.of(new String[] { "a,b" }));
		assertThatIllegalArgumentException().isThrownBy(() -> TextList.of(new String[] { "é,b" }));
		assertThatIllegalArgumentException().isThrownBy(() -> TextList.of(new String[] { "a", "" }));
		assertThatIllegalArgumentException().isThrownBy(() -> TextList.of(new String[] { "-" }));
	}

	@Test
	void aListIsItsElementsAndCommasOnly() {
		assertThat(new String(TextList.of(List.of("ab", "cd")), java.nio.charset.StandardCharsets.US_ASCII))
			.isEqualTo("ab,cd");
		assertThat(TextList.of(Arrays.asList("ab", null))).hasSize(4);
	}

	private List<String> readBack(String[] elements) {
		return this.db.sql("SELECT e FROM unnest(" + TextList.ARRAY + ") WITH ORDINALITY AS t(e, n) ORDER BY n")
			.param(TextList.of(elements))
			.query((rs, row) -> rs.getString(1))
			.list();
	}

}
