package io.mlplatform.storage.cluster.crd;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A project's limits in its namespace; matches {@code k8s/crds/storagequotas.storage.mlplatform.io.yaml}. */
@Group(Labels.GROUP)
@Version(Labels.VERSION)
@Kind("StorageQuota")
@Plural("storagequotas")
@ShortNames("squota")
public class StorageQuota extends CustomResource<StorageQuotaSpec, StorageQuotaStatus> implements Namespaced {

}
