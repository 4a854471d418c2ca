package io.mlplatform.storage;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What the API can change, captured to compare before and after: a digest of every row of the tables
 * behind the API, and every object of the backup bucket with its size and ETag.
 */
public record StateSnapshot(Map<String, String> tables, List<String> objects) {

	/** Columns that change without a request changing anything: bookkeeping of who used a token when. */
	private static final Map<String, String> VOLATILE = Map.of("api_tokens", " - 'last_used_at'");

	private static final List<String> TABLES = List.of("projects", "quotas", "quota_clusters", "storages", "backups",
			"restores", "api_tokens", "audit_events", "clusters", "cluster_outbox", "backup_contents", "newest_snapshots");

	public static StateSnapshot take(JdbcClient db, URI s3, String bucket) {
		Map<String, String> tables = new TreeMap<>();
		for (String table : TABLES) {
			String row = "(to_jsonb(t)" + VOLATILE.getOrDefault(table, "") + ")::text";
			tables.put(table, db.sql("SELECT count(*) || ':' || coalesce(md5(string_agg(" + row + ", ',' ORDER BY " + row
					+ ")), '') FROM " + table + " t").query(String.class).single());
		}
		return new StateSnapshot(tables, objects(s3, bucket));
	}

	private static List<String> objects(URI endpoint, String bucket) {
		try (S3Client client = S3Client.builder()
			.endpointOverride(endpoint)
			.region(Region.US_EAST_1)
			.forcePathStyle(true)
			.credentialsProvider(StaticCredentialsProvider
				.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
			.httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofSeconds(10)))
			.build()) {
			List<String> objects = new ArrayList<>();
			for (S3Object object : client.listObjectsV2Paginator(r -> r.bucket(bucket)).contents()) {
				objects.add(object.key() + " " + object.size() + " " + object.eTag());
			}
			return objects;
		}
	}

}
