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

	/** A request names a backup that the project does not have as a restorable snapshot. */
	public static UnprocessableException unknownBackup(String field, String backup, String detail) {
		return new UnprocessableException("unknown-backup", "Unknown backup", detail,
				List.of(new FieldError(field, backup, "must be the id of a Succeeded backup of the project")));
	}

	public static UnprocessableException capacityTooSmall(String capacity, String needed) {
		return new UnprocessableException("capacity-too-small", "Capacity too small for the backup",
				"The backup to restore holds %s, more than the requested capacity %s; ask for %s or more."
					.formatted(needed, capacity, needed),
				List.of(new FieldError("capacity", capacity, "must hold the backup's " + needed)));
	}

}
