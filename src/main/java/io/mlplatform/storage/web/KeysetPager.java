package io.mlplatform.storage.web;

import java.util.List;
import java.util.function.Function;

import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Runs a keyset-paginated native query ordered by name and returns managed entities. */
@Component
public class KeysetPager {

	private final EntityManager entityManager;

	KeysetPager(EntityManager entityManager) {
		this.entityManager = entityManager;
	}

	/**
	 * @param table a trusted table name
	 * @param filter the predicates of the query; the keyset predicate is added here
	 */
	@Transactional(readOnly = true)
	public <T> Page<T> page(Class<T> entity, String table, SqlFilter filter, PageRequest page,
			Function<T, String> nameOf) {
		if (page.after() != null) {
			filter.and("name > " + filter.bind(page.after()));
		}
		String sql = "SELECT * FROM " + table + " WHERE " + filter.where() + " ORDER BY name LIMIT "
				+ (page.pageSize() + 1);
		Query query = this.entityManager.createNativeQuery(sql, entity);
		filter.parameters().forEach(query::setParameter);
		@SuppressWarnings("unchecked")
		List<T> rows = query.getResultList();
		if (rows.size() <= page.pageSize()) {
			return new Page<>(rows, null);
		}
		List<T> items = rows.subList(0, page.pageSize());
		return new Page<>(List.copyOf(items), page.tokenAfter(nameOf.apply(items.get(items.size() - 1))));
	}

}
