package io.mlplatform.storage.cluster;

import java.net.URI;
import java.util.Map;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.Applied;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * Anyone signed in may list clusters (a project owner picks one for a storage); only platform admins
 * register, change or remove them. Credentials references are write-only.
 */
@RestController
@RequestMapping(path = "/api/v1/clusters", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Clusters", description = "Kubernetes clusters storages live in")
class ClusterController {

	private final ClusterRegistry clusters;

	private final ProjectAccess access;

	private final ClusterHealth health;

	ClusterController(ClusterRegistry clusters, ProjectAccess access, ClusterHealth health) {
		this.clusters = clusters;
		this.access = access;
		this.health = health;
	}

	@GetMapping
	@Operation(operationId = "listClusters", summary = "List clusters",
			description = "All registered clusters, sorted by name, in one page (there are few).")
	Page<ClusterResponse> list() {
		Map<String, ClusterHealth.Status> health = this.health.all();
		return new Page<>(this.clusters.list()
			.stream()
			.map(cluster -> ClusterResponse.from(cluster,
					health.getOrDefault(cluster.getName(), ClusterHealth.Status.UNKNOWN)))
			.toList(), null);
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "createCluster", summary = "Register a cluster",
			description = "Platform admins only. Replaying the same request returns 200 with the existing cluster.")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "200", description = "A cluster with this name and this exact spec already exists")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<ClusterResponse> create(@RequestBody ClusterRequest request) {
		this.access.requireAdmin("Registering a cluster");
		return respond(this.clusters.create(request));
	}

	@GetMapping("/{cluster}")
	@Operation(operationId = "getCluster", summary = "Get a cluster")
	@ApiResponse(responseCode = "200", description = "The cluster")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<ClusterResponse> get(@PathVariable String cluster,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Cluster found = this.clusters.get(cluster);
		ClusterResponse response = ClusterResponse.from(found, this.health.of(cluster));
		String etag = response.etag(found);
		return Preconditions.read(ifNoneMatch, etag, () -> response);
	}

	@PutMapping(path = "/{cluster}", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "applyCluster", summary = "Register or replace a cluster",
			description = "Platform admins only. Clusters from configuration are read-only (409).")
	@ApiResponse(responseCode = "200", description = "Updated")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<ClusterResponse> apply(@PathVariable String cluster, @RequestBody ClusterRequest request,
			@RequestHeader(name = "If-Match", required = false) String ifMatch,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		this.access.requireAdmin("Changing a cluster");
		return respond(this.clusters.apply(cluster, request, new Preconditions(ifMatch, ifNoneMatch)));
	}

	@DeleteMapping("/{cluster}")
	@Operation(operationId = "deleteCluster", summary = "Remove a cluster",
			description = "Platform admins only; refused with 409 while storages live in it or when it comes from configuration.")
	@ApiResponse(responseCode = "204", description = "Removed")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	ResponseEntity<Void> delete(@PathVariable String cluster,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		this.access.requireAdmin("Removing a cluster");
		this.clusters.delete(cluster, new Preconditions(ifMatch, null));
		return ResponseEntity.noContent().build();
	}

	private ResponseEntity<ClusterResponse> respond(Applied<Cluster> applied) {
		Cluster cluster = applied.resource();
		ResponseEntity.BodyBuilder builder = applied.created()
				? ResponseEntity.created(URI.create("/api/v1/clusters/" + cluster.getName())) : ResponseEntity.ok();
		ClusterResponse response = ClusterResponse.from(cluster, this.health.of(cluster.getName()));
		return builder.eTag(response.etag(cluster)).body(response);
	}

}
