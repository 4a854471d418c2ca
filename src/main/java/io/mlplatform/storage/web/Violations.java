package io.mlplatform.storage.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Collects every problem of a request before answering, so a caller fixes them all in one round
 * trip instead of one per retry.
 */
public final class Violations {

	private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

	private static final Pattern DNS_SUBDOMAIN = Pattern
		.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

	private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

	private final List<FieldError> errors = new ArrayList<>();

	public Violations add(String field, Object rejected, String message) {
		this.errors.add(new FieldError(field, rejected, message));
		return this;
	}

	public boolean isEmpty() {
		return this.errors.isEmpty();
	}

	public void throwIfAny() {
		if (!this.errors.isEmpty()) {
			throw InvalidRequestException.of(this.errors);
		}
	}

	public static boolean isDnsLabel(String value) {
		return value != null && value.length() <= 63 && DNS_LABEL.matcher(value).matches();
	}

	/** A Kubernetes object name: DNS-1123 label, the rule for project, namespace and storage names. */
	public void dnsLabel(String field, String value) {
		if (value == null) {
			add(field, null, "is required");
		}
		else if (!isDnsLabel(value)) {
			add(field, value, "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', "
					+ "starting and ending with a letter or digit");
		}
	}

	public void maxLength(String field, String value, int max) {
		if (value != null && value.length() > max) {
			add(field, value.substring(0, Math.min(value.length(), 80)) + "…", "must be at most " + max + " characters");
		}
	}

	/** Kubernetes label syntax, so labels can be copied onto custom resources unchanged. */
	public void labels(String field, Map<String, String> labels) {
		if (labels == null) {
			return;
		}
		if (labels.size() > 64) {
			add(field, labels.size() + " labels", "at most 64 labels");
			return;
		}
		labels.forEach((key, value) -> {
			String path = field + "." + key;
			String problem = labelKeyProblem(key);
			if (problem != null) {
				add(path, key, problem);
			}
			if (value == null) {
				add(path, null, "label values are strings; use \"\" for an empty value");
			}
			else if (!value.isEmpty() && (value.length() > 63 || !LABEL_NAME.matcher(value).matches())) {
				add(path, value, "label value must be at most 63 characters of letters, digits, '-', '_' and '.', "
						+ "starting and ending with a letter or digit");
			}
		});
	}

	/** @return why this is not a valid label key, or null if it is */
	public static String labelKeyProblem(String key) {
		if (key == null || key.isEmpty()) {
			return "label key must not be empty";
		}
		int slash = key.indexOf('/');
		String name = key;
		if (slash >= 0) {
			String prefix = key.substring(0, slash);
			name = key.substring(slash + 1);
			if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
				return "label key prefix must be a DNS subdomain (like example.com)";
			}
		}
		if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
			return "label key name must be at most 63 characters of letters, digits, '-', '_' and '.', "
					+ "starting and ending with a letter or digit, optionally behind a 'prefix/'";
		}
		return null;
	}

	/** A non-negative whole number, or null for "not set". */
	public void nonNegative(String field, Integer value) {
		if (value != null && value < 0) {
			add(field, value, "must be 0 or more");
		}
	}

}
