package io.mlplatform.storage.web;

import java.util.LinkedHashMap;
import java.util.Map;

/** A WHERE clause built from trusted SQL fragments and bound parameters, never from concatenated input. */
public final class SqlFilter {

	private final StringBuilder where = new StringBuilder();

	private final Map<String, Object> parameters = new LinkedHashMap<>();

	public SqlFilter and(String predicate) {
		this.where.append(this.where.isEmpty() ? "" : " AND ").append(predicate);
		return this;
	}

	/** @return the placeholder for the value, to be used in a predicate */
	public String bind(Object value) {
		String name = "p" + this.parameters.size();
		this.parameters.put(name, value);
		return ":" + name;
	}

	public String where() {
		return this.where.isEmpty() ? "TRUE" : this.where.toString();
	}

	public Map<String, Object> parameters() {
		return this.parameters;
	}

}
