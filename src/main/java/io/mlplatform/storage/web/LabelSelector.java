package io.mlplatform.storage.web;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes label selector ({@code team=nlp,tier!=cold,env in (dev,prod),!legacy}) turned into a
 * SQL predicate over a {@code jsonb} labels column. Semantics follow Kubernetes: {@code !=} and
 * {@code notin} also match objects that lack the key.
 */
public final class LabelSelector {

	enum Operator {

		EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST

	}

	record Requirement(String key, Operator operator, Set<String> values) {

		boolean matches(Map<String, String> labels) {
			String value = labels.get(this.key);
			return switch (this.operator) {
				case EQUALS, IN -> value != null && this.values.contains(value);
				case NOT_EQUALS, NOT_IN -> value == null || !this.values.contains(value);
				case EXISTS -> value != null;
				case DOES_NOT_EXIST -> value == null;
			};
		}

	}

	private static final LabelSelector EVERYTHING = new LabelSelector(List.of());

	private final List<Requirement> requirements;

	private LabelSelector(List<Requirement> requirements) {
		this.requirements = List.copyOf(requirements);
	}

	List<Requirement> requirements() {
		return this.requirements;
	}

	public boolean matches(Map<String, String> labels) {
		return this.requirements.stream().allMatch(r -> r.matches(labels));
	}

	/**
	 * @throws InvalidRequestException naming the parameter and what is wrong with it
	 */
	public static LabelSelector parse(String selector) {
		if (selector == null || selector.isBlank()) {
			return EVERYTHING;
		}
		try {
			return new LabelSelector(new Parser(selector).requirements());
		}
		catch (IllegalArgumentException ex) {
			throw InvalidRequestException.field("labelSelector", selector, ex.getMessage()
					+ ". Use comma-separated requirements: key=value, key!=value, key in (a,b), key notin (a,b), key, !key");
		}
	}

	/** Appends this selector's predicate (nothing for an empty selector) to a SQL filter. */
	public void appendTo(SqlFilter filter, String column) {
		for (Requirement r : this.requirements) {
			String key = filter.bind(r.key());
			String text = "(" + column + " ->> " + key + ")";
			switch (r.operator()) {
				case EXISTS -> filter.and(text + " IS NOT NULL");
				case DOES_NOT_EXIST -> filter.and(text + " IS NULL");
				case EQUALS, IN -> filter.and(text + " IN (" + filter.bind(List.copyOf(r.values())) + ")");
				case NOT_EQUALS, NOT_IN ->
					filter.and("(" + text + " IS NULL OR " + text + " NOT IN (" + filter.bind(List.copyOf(r.values())) + "))");
			}
		}
	}

	@Override
	public String toString() {
		return this.requirements.toString();
	}

	/** A small hand-written parser: the grammar is tiny and errors must point at what is wrong. */
	private static final class Parser {

		private final String input;

		private int pos;

		Parser(String input) {
			this.input = input;
		}

		List<Requirement> requirements() {
			if (this.input.length() > 4096) {
				throw new IllegalArgumentException("is longer than 4096 characters");
			}
			List<Requirement> result = new ArrayList<>();
			do {
				result.add(requirement());
				skipSpaces();
			}
			while (consume(','));
			if (this.pos < this.input.length()) {
				throw new IllegalArgumentException("unexpected '" + this.input.substring(this.pos) + "'");
			}
			return result;
		}

		private Requirement requirement() {
			skipSpaces();
			if (consume('!')) {
				return new Requirement(key(), Operator.DOES_NOT_EXIST, Set.of());
			}
			String key = key();
			skipSpaces();
			if (consume('!')) {
				expect('=');
				return new Requirement(key, Operator.NOT_EQUALS, Set.of(value()));
			}
			if (consume('=')) {
				consume('=');
				return new Requirement(key, Operator.EQUALS, Set.of(value()));
			}
			if (word("notin")) {
				return new Requirement(key, Operator.NOT_IN, valueSet());
			}
			if (word("in")) {
				return new Requirement(key, Operator.IN, valueSet());
			}
			if (this.pos == this.input.length() || peek() == ',') {
				return new Requirement(key, Operator.EXISTS, Set.of());
			}
			throw new IllegalArgumentException("expected =, !=, in or notin after '" + key + "'");
		}

		private String key() {
			skipSpaces();
			int start = this.pos;
			while (this.pos < this.input.length() && isKeyChar(peek())) {
				this.pos++;
			}
			String key = this.input.substring(start, this.pos);
			String problem = Violations.labelKeyProblem(key);
			if (problem != null) {
				throw new IllegalArgumentException("'" + key + "': " + problem);
			}
			return key;
		}

		private String value() {
			skipSpaces();
			int start = this.pos;
			while (this.pos < this.input.length() && isValueChar(peek())) {
				this.pos++;
			}
			String value = this.input.substring(start, this.pos);
			if (value.length() > 63) {
				throw new IllegalArgumentException("label value '" + value + "' is longer than 63 characters");
			}
			return value;
		}

		private Set<String> valueSet() {
			skipSpaces();
			expect('(');
			Set<String> values = new LinkedHashSet<>();
			do {
				String value = value();
				values.add(value);
				skipSpaces();
			}
			while (consume(','));
			expect(')');
			return values;
		}

		private boolean word(String word) {
			if (this.input.startsWith(word, this.pos)) {
				int after = this.pos + word.length();
				if (after < this.input.length() && (this.input.charAt(after) == ' ' || this.input.charAt(after) == '(')) {
					this.pos = after;
					return true;
				}
			}
			return false;
		}

		private void expect(char c) {
			if (!consume(c)) {
				throw new IllegalArgumentException("expected '" + c + "' at position " + (this.pos + 1));
			}
		}

		private boolean consume(char c) {
			if (this.pos < this.input.length() && this.input.charAt(this.pos) == c) {
				this.pos++;
				return true;
			}
			return false;
		}

		private char peek() {
			return this.input.charAt(this.pos);
		}

		private void skipSpaces() {
			while (this.pos < this.input.length() && this.input.charAt(this.pos) == ' ') {
				this.pos++;
			}
		}

		private static boolean isKeyChar(char c) {
			return Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == '/';
		}

		private static boolean isValueChar(char c) {
			return Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.';
		}

	}

}
