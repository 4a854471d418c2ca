package io.mlplatform.storage.web;

/** The outcome of a create or apply: the resource as stored, and whether this call created it. */
public record Applied<T>(T resource, boolean created) {
}
