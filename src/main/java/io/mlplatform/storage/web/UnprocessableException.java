package io.mlplatform.storage.web;

import java.util.List;

import org.springframework.http.HttpStatus;

/** Well-formed, but not a change that can be made to this resource (422). */
public class UnprocessableException extends ProblemException {

	private UnprocessableException(String type, String title, String detail, List<FieldError> errors) {
		super(HttpStatus.UNPROCESSABLE_CONTENT, type, title, detail, errors);
	}

	public static UnprocessableException immutableField(String field, Object current, Object requested) {
		return new UnprocessableException("immutable-field", "Field is immutable",
				"'%s' cannot change after creation (it is %s); create a new resource instead.".formatted(field, current),
				List.of(new FieldError(field, requested, "immutable; current value is " + current)));
	}

	public static UnprocessableException capacityShrink(String current, String requested) {
		return new UnprocessableException("capacity-shrink", "Capacity can only grow",
				"Capacity can only grow: it is %s, %s was requested. Ask for %s or more.".formatted(current, requested,
						current),
				List.of(new FieldError("capacity", requested, "must be at least the current capacity " + current)));
	}

}
