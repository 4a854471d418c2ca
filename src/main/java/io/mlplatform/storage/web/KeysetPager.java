package io.mlplatform.storage.web;

import java.util.List;
import java.util.function.Function;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Runs a keyset-paginated query ordered by name. Lists are read with plain JDBC: they are the
 * hottest read path and need no persistence context, only rows turned into values.
 */
@Component
public class KeysetPager {

	private final JdbcClient jdbc;

	KeysetPager(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * @param table a trusted table name
	 * @param filter the predicates of the query; the keyset predicate is added here
	 */
	public <T> Page<T> page(String table, SqlFilter filter, PageRequest page, RowMapper<T> rows,
			Function<T, String> nameOf) {
		if (page.after() != null) {
			filter.and("name > " + filter.bind(page.after()));
		}
		String sql = "SELECT * FROM " + table + " WHERE " + filter.where() + " ORDER BY name LIMIT "
				+ (page.pageSize() + 1);
		List<T> found = this.jdbc.sql(sql).params(filter.parameters()).query(rows).list();
		if (found.size() <= page.pageSize()) {
			return new Page<>(found, null);
		}
		List<T> items = found.subList(0, page.pageSize());
		return new Page<>(List.copyOf(items), page.tokenAfter(nameOf.apply(items.get(items.size() - 1))));
	}

}
