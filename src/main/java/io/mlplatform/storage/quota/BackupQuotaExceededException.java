package io.mlplatform.storage.quota;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.ProblemException;

/**
 * A backup refused because its project keeps as much in S3 as its quota's {@code backupCapacity} allows:
 * a 409 like {@link QuotaExceededException}, with a type of its own, since what frees it (deleting
 * backups, retention, garbage collection) is not what frees capacity.
 */
public class BackupQuotaExceededException extends ProblemException {

	BackupQuotaExceededException(String detail) {
		super(HttpStatus.CONFLICT, "backup-quota-exceeded", "Backup quota exceeded", detail);
	}

}
