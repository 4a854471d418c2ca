package io.mlplatform.storage.web;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Reads the column types our rows share (jsonb, timestamptz) when rows are mapped by hand. */
@Component
public class JsonColumns {

	private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
	};

	private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
	};

	private final JsonMapper json;

	JsonColumns(JsonMapper json) {
		this.json = json;
	}

	public Map<String, String> labels(ResultSet row, String column) throws SQLException {
		String text = row.getString(column);
		return text == null ? Map.of() : this.json.readValue(text, STRING_MAP);
	}

	/** A jsonb array of strings (a project's owners or members); empty when NULL. */
	public List<String> strings(ResultSet row, String column) throws SQLException {
		String text = row.getString(column);
		return text == null ? List.of() : this.json.readValue(text, STRINGS);
	}

	public <T> T read(ResultSet row, String column, TypeReference<T> type) throws SQLException {
		String text = row.getString(column);
		return text == null ? null : this.json.readValue(text, type);
	}

	public static Instant instant(ResultSet row, String column) throws SQLException {
		Timestamp value = row.getTimestamp(column);
		return value == null ? null : value.toInstant();
	}

}
