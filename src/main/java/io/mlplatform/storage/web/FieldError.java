package io.mlplatform.storage.web;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One problem with one field of a request: what was sent and what to change. */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record FieldError(String field, Object rejectedValue, String message) {
}
