package io.mlplatform.storage.cluster.crd;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A project's NFS volume in a cluster; matches {@code k8s/crds/projectstorages.storage.mlplatform.io.yaml}. */
@Group(Labels.GROUP)
@Version(Labels.VERSION)
@Kind("ProjectStorage")
@Plural("projectstorages")
@ShortNames("pst")
public class ProjectStorage extends CustomResource<ProjectStorageSpec, ProjectStorageStatus> implements Namespaced {

}
