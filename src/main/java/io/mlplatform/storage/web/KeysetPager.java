package io.mlplatform.storage.web;

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
		return page.toPage(this.jdbc.sql(sql).params(filter.parameters()).query(rows).list(), nameOf);
	}

}
