package io.mlplatform.storage.cluster;

import java.time.Clock;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.web.Applied;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.Violations;

/**
 * The clusters storages can live in: registered through the API by platform admins or declared in
 * configuration. Other features ask it which cluster a storage goes to.
 */
@Service
public class ClusterRegistry {

	private static final Logger log = LoggerFactory.getLogger(ClusterRegistry.class);

	private final Clusters clusters;

	private final ClusterProperties properties;

	private final AuditLog audit;

	private final Clock clock;

	private final CredentialPolicy credentialPolicy;

	ClusterRegistry(Clusters clusters, ClusterProperties properties, AuditLog audit, Clock clock,
			CredentialPolicy credentialPolicy) {
		this.credentialPolicy = credentialPolicy;
		this.clusters = clusters;
		this.properties = properties;
		this.audit = audit;
		this.clock = clock;
	}

	/** Configuration wins over what an earlier start wrote: it is the deployment's source of truth. */
	@EventListener(ApplicationStartedEvent.class)
	@Transactional
	public void registerConfigured() {
		for (ClusterProperties.Configured configured : this.properties.clusters()) {
			Violations violations = new Violations();
			ClusterSpec spec = new ClusterRequest(configured.name(), configured.apiServerUrl(),
					configured.credentials(), configured.defaultStorageClass(), configured.defaultBackupTarget(),
					configured.labels(), configured.executor(), configured.mover())
				.toSpec(null, violations);
			if (!violations.isEmpty()) {
				throw new IllegalStateException("pss.cluster.clusters entry '" + configured.name() + "' is invalid");
			}
			// replicas starting together register the same clusters: the second waits and finds the first's row
			this.clusters.lockName(configured.name());
			this.clusters.findById(configured.name())
				.ifPresentOrElse(existing -> existing.update(spec, this.clock.instant()),
						() -> this.clusters.save(new Cluster(configured.name(), spec, Cluster.Source.configuration,
								this.clock.instant())));
			log.info("Cluster '{}' registered from configuration ({} credentials)", configured.name(),
					spec.credentials().type());
		}
	}

	/**
	 * The cluster a new storage goes to: the one it names, else the only one registered, else the
	 * configured default.
	 * @param defaultCluster the deployment's default cluster, used when several are registered
	 */
	@Transactional(readOnly = true)
	public String resolve(String requested, String defaultCluster) {
		if (requested != null) {
			if (!this.clusters.existsById(requested)) {
				throw UnknownClusterException.named(requested, names());
			}
			return requested;
		}
		List<String> names = names();
		if (names.size() == 1) {
			return names.get(0);
		}
		if (defaultCluster != null && names.contains(defaultCluster)) {
			return defaultCluster;
		}
		throw UnknownClusterException.noDefault(names);
	}

	/**
	 * Refuses names of clusters that are not registered, all of them in one problem.
	 * @param fieldPrefix what the request's field of each name starts with, such as {@code clusters.}
	 * @throws UnknownClusterException naming each unregistered one
	 */
	@Transactional(readOnly = true)
	public void requireRegistered(String fieldPrefix, java.util.Collection<String> requested) {
		if (requested.isEmpty()) {
			return;
		}
		List<String> known = names();
		List<String> unknown = requested.stream().filter(name -> !known.contains(name)).sorted().toList();
		if (!unknown.isEmpty()) {
			throw UnknownClusterException.named(fieldPrefix, unknown, known);
		}
	}

	@Transactional(readOnly = true)
	public List<String> names() {
		return this.clusters.findAll().stream().map(Cluster::getName).sorted().toList();
	}

	@Transactional(readOnly = true)
	List<Cluster> list() {
		return this.clusters.findAll().stream().sorted(java.util.Comparator.comparing(Cluster::getName)).toList();
	}

	@Transactional(readOnly = true)
	public Cluster get(String name) {
		return this.clusters.findById(name).orElseThrow(() -> NotFoundException.cluster(name));
	}

	@Transactional
	Applied<Cluster> create(ClusterRequest request) {
		ClusterSpec spec = validate(request, null);
		this.clusters.lockName(request.name());
		Cluster existing = this.clusters.findById(request.name()).orElse(null);
		if (existing != null) {
			if (existing.spec().equals(spec)) {
				audit("cluster.create", existing, "unchanged", null);
				return new Applied<>(existing, false);
			}
			throw ConflictException.alreadyExists("Cluster", request.name(), "Use PUT to change it, or pick another name.");
		}
		Cluster created = this.clusters.saveAndFlush(new Cluster(request.name(), spec, Cluster.Source.api,
				this.clock.instant()));
		audit("cluster.create", created, "created", null);
		return new Applied<>(created, true);
	}

	@Transactional
	Applied<Cluster> apply(String name, ClusterRequest request, Preconditions preconditions) {
		ClusterSpec spec = validate(request, name);
		this.clusters.lockName(name);
		Cluster existing = this.clusters.findById(name).orElse(null);
		preconditions.checkWrite(existing == null ? null : existing.etag());
		if (existing == null) {
			Cluster created = this.clusters.saveAndFlush(new Cluster(name, spec, Cluster.Source.api, this.clock.instant()));
			audit("cluster.apply", created, "created", null);
			return new Applied<>(created, true);
		}
		if (existing.isConfigured()) {
			throw ClusterConflictException.configured(name);
		}
		ClusterResponse.Summary before = ClusterResponse.Summary.of(existing);
		boolean changed = existing.update(spec, this.clock.instant());
		this.clusters.flush();
		audit("cluster.apply", existing, changed ? "updated" : "unchanged", before);
		return new Applied<>(existing, false);
	}

	@Transactional
	void delete(String name, Preconditions preconditions) {
		this.clusters.lockName(name);
		Cluster existing = get(name);
		preconditions.checkWrite(existing.etag());
		if (existing.isConfigured()) {
			throw ClusterConflictException.configured(name);
		}
		long storages = this.clusters.countLiveStorages(name);
		if (storages > 0) {
			throw ClusterConflictException.inUse(name, storages);
		}
		this.clusters.delete(existing);
		this.clusters.flush();
		this.audit.record(null, "cluster.delete", "clusters/" + name, "deleted", ClusterResponse.Summary.of(existing),
				null);
	}

	private ClusterSpec validate(ClusterRequest request, String urlName) {
		Violations violations = new Violations();
		ClusterSpec spec = request.toSpec(urlName, violations);
		violations.throwIfAny();
		this.credentialPolicy.checkRegistration(spec);
		return spec;
	}

	private void audit(String action, Cluster cluster, String result, ClusterResponse.Summary before) {
		this.audit.record(null, action, "clusters/" + cluster.getName(), result, before,
				ClusterResponse.Summary.of(cluster));
	}

}
