package io.mlplatform.storage.mover;

import java.util.Collections;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.util.unit.DataSize;

import io.mlplatform.storage.mover.MoverProtocol.Content;
import io.mlplatform.storage.mover.MoverProtocol.Contents;

import static org.assertj.core.api.Assertions.assertThat;

class MoverProtocolTests {

	/** WebProperties' default: the mover API shares the service's request body limit. */
	private static final DataSize BODY_LIMIT = DataSize.ofKilobytes(256);

	@Test
	void aFullRecordCallOfTheLongestContentsFitsTheBodyLimit() {
		// the longest a mover can send: a pack id of 63 characters, sizes and offsets of 5 TiB (13 digits)
		long largest = 5L * 1024 * 1024 * 1024 * 1024;
		Content longest = new Content("f".repeat(64), largest, "p".repeat(63), largest, null);
		Contents call = new Contents(Collections.nCopies(MoverProtocol.MAX_RECORD, longest));

		// serialized as MoverClient does
		byte[] body = JsonMapper.builder().build().writeValueAsBytes(call);

		assertThat((long) body.length).isLessThanOrEqualTo(BODY_LIMIT.toBytes());
	}

}
