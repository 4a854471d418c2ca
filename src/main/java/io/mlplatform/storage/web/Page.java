package io.mlplatform.storage.web;

import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.swagger.v3.oas.annotations.media.Schema;

/** One page of a list; {@code nextPageToken} is absent on the last page. */
public record Page<T>(List<T> items,
		@JsonInclude(JsonInclude.Include.NON_NULL) @Schema(description = "Pass as pageToken to get the next page; absent on the last page") String nextPageToken) {

	public <R> Page<R> map(Function<? super T, R> mapper) {
		return new Page<>(this.items.stream().<R>map(mapper).toList(), this.nextPageToken);
	}

}
