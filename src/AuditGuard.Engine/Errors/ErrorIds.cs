namespace AuditGuard.Engine.Errors;

/// <summary>
/// Every ErrorId AuditGuard raises, as <c>&lt;Noun&gt;&lt;Problem&gt;</c>. They are a contract:
/// runbooks and tests match on them, so one id names one problem and an id never changes
/// meaning. Code compares against these constants, never against string literals.
/// </summary>
public static class ErrorIds
{
    // Stores: locating, creating, opening, reading and writing one.
    public const string AuditStorePathInvalid = nameof(AuditStorePathInvalid);
    public const string AuditStorePathIsFolder = nameof(AuditStorePathIsFolder);
    public const string AuditStoreFolderNotFound = nameof(AuditStoreFolderNotFound);
    public const string AuditStoreFolderNotWritable = nameof(AuditStoreFolderNotWritable);
    public const string AuditStoreNotWritable = nameof(AuditStoreNotWritable);
    public const string AuditStoreNotADatabase = nameof(AuditStoreNotADatabase);
    public const string AuditStoreForeignDatabase = nameof(AuditStoreForeignDatabase);
    public const string AuditStoreSchemaTooNew = nameof(AuditStoreSchemaTooNew);
    public const string AuditStoreCorrupt = nameof(AuditStoreCorrupt);
    public const string AuditStoreBusy = nameof(AuditStoreBusy);
    public const string AuditStoreOnNetworkFileSystem = nameof(AuditStoreOnNetworkFileSystem);
    public const string AuditStoreOpenFailed = nameof(AuditStoreOpenFailed);
    public const string AuditStoreUnreadable = nameof(AuditStoreUnreadable);
    public const string AuditStoreWriteFailed = nameof(AuditStoreWriteFailed);
    public const string AuditStoreFull = nameof(AuditStoreFull);
    public const string AuditStoreConflict = nameof(AuditStoreConflict);
    public const string AuditStoreClosed = nameof(AuditStoreClosed);
    public const string AuditStoreSchemaAltered = nameof(AuditStoreSchemaAltered);
    public const string AuditStoreMissing = nameof(AuditStoreMissing);
    public const string AuditStoreNotConnected = nameof(AuditStoreNotConnected);
    public const string AuditStoreSelectionConflict = nameof(AuditStoreSelectionConflict);
    public const string AuditStoreReadOnly = nameof(AuditStoreReadOnly);
    public const string AuditStoreCopyFailed = nameof(AuditStoreCopyFailed);
    public const string AuditStoreChanged = nameof(AuditStoreChanged);
    public const string AuditStoreLogUnreadable = nameof(AuditStoreLogUnreadable);
    public const string AuditStoreLogForeign = nameof(AuditStoreLogForeign);
    public const string AuditStoreNotFound = nameof(AuditStoreNotFound);
    public const string AuditStoreAdoptionRefused = nameof(AuditStoreAdoptionRefused);
    public const string AuditStoreFolderUnsafe = nameof(AuditStoreFolderUnsafe);
    public const string AuditStoreGroupInvalid = nameof(AuditStoreGroupInvalid);
    public const string AuditStoreEmptied = nameof(AuditStoreEmptied);
    public const string AuditStoreConnectionStringInvalid = nameof(AuditStoreConnectionStringInvalid);
    public const string AuditStoreServerUnreachable = nameof(AuditStoreServerUnreachable);
    public const string AuditStoreServerRefused = nameof(AuditStoreServerRefused);
    public const string AuditStoreDatabaseNotInitialized = nameof(AuditStoreDatabaseNotInitialized);
    public const string AuditStoreBackendUnavailable = nameof(AuditStoreBackendUnavailable);
    public const string AuditStoreForked = nameof(AuditStoreForked);
    public const string AuditStoreBehind = nameof(AuditStoreBehind);
    public const string AuditStoreCommitUnknown = nameof(AuditStoreCommitUnknown);
    public const string AuditStoreCopyNotFound = nameof(AuditStoreCopyNotFound);
    public const string AuditStorePermissionDenied = nameof(AuditStorePermissionDenied);
    public const string AuditDatabaseRoleInvalid = nameof(AuditDatabaseRoleInvalid);
    public const string AuditStoreSettingUnknown = nameof(AuditStoreSettingUnknown);
    public const string AuditStoreSettingInvalid = nameof(AuditStoreSettingInvalid);

    // The ledger: records, checkpoints, witnesses, exports.
    public const string AuditRecordNotFound = nameof(AuditRecordNotFound);
    public const string AuditRecordFilterConflict = nameof(AuditRecordFilterConflict);
    public const string AuditRecordInvalid = nameof(AuditRecordInvalid);
    public const string AuditRecordNotStored = nameof(AuditRecordNotStored);
    public const string AuditCheckpointNotFound = nameof(AuditCheckpointNotFound);
    public const string AuditWitnessUnreadable = nameof(AuditWitnessUnreadable);
    public const string AuditExportTargetExists = nameof(AuditExportTargetExists);
    public const string AuditExportTargetIsLink = nameof(AuditExportTargetIsLink);
    public const string AuditExportFailed = nameof(AuditExportFailed);

    // Signers and keys.
    public const string SignerKeyUnavailable = nameof(SignerKeyUnavailable);
    public const string SignerNotRegistered = nameof(SignerNotRegistered);
    public const string SignerAlreadyRegistered = nameof(SignerAlreadyRegistered);
    public const string SignerRevocationRefused = nameof(SignerRevocationRefused);
    public const string SignerAlreadyActive = nameof(SignerAlreadyActive);
    public const string SignerNotFound = nameof(SignerNotFound);
    public const string SignerRetired = nameof(SignerRetired);
    public const string SigningCertificateNotFound = nameof(SigningCertificateNotFound);
    public const string SigningCertificatePasswordInvalid = nameof(SigningCertificatePasswordInvalid);
    public const string SigningCertificateUnreadable = nameof(SigningCertificateUnreadable);
    public const string SigningCertificateFileInaccessible = nameof(SigningCertificateFileInaccessible);
    public const string SigningCertificateFolderNotFound = nameof(SigningCertificateFolderNotFound);
    public const string SigningCertificateFileExists = nameof(SigningCertificateFileExists);
    public const string SigningCertificateSubjectInvalid = nameof(SigningCertificateSubjectInvalid);
    public const string SigningCertificateNoPrivateKey = nameof(SigningCertificateNoPrivateKey);
    public const string SigningCertificateKeyUnavailable = nameof(SigningCertificateKeyUnavailable);
    public const string SigningCertificateKeyMismatch = nameof(SigningCertificateKeyMismatch);
    public const string SigningCertificateExpired = nameof(SigningCertificateExpired);
    public const string SigningCertificateNotYetValid = nameof(SigningCertificateNotYetValid);
    public const string SigningCertificateKeyUsageForbidsSigning = nameof(SigningCertificateKeyUsageForbidsSigning);
    public const string SigningCertificateKeyTooSmall = nameof(SigningCertificateKeyTooSmall);
    public const string SigningCertificateAlgorithmUnsupported = nameof(SigningCertificateAlgorithmUnsupported);
    public const string SigningKeyUnusable = nameof(SigningKeyUnusable);
    public const string SecretKeyInvalid = nameof(SecretKeyInvalid);
    public const string SecretKeyInaccessible = nameof(SecretKeyInaccessible);
    public const string SecretKeyUnavailable = nameof(SecretKeyUnavailable);

    // Connectors.
    public const string ConnectorNotFound = nameof(ConnectorNotFound);
    public const string ConnectorActionNotFound = nameof(ConnectorActionNotFound);
    public const string ConnectorActionRequired = nameof(ConnectorActionRequired);

    // Extension connectors: registering a module, and calling it.
    public const string ConnectorModuleNotFound = nameof(ConnectorModuleNotFound);
    public const string ConnectorContractInvalid = nameof(ConnectorContractInvalid);
    public const string ConnectorModuleChanged = nameof(ConnectorModuleChanged);
    public const string ConnectorNameConflict = nameof(ConnectorNameConflict);
    public const string ConnectorNotRegistered = nameof(ConnectorNotRegistered);
    public const string ConnectorHostUnavailable = nameof(ConnectorHostUnavailable);
    public const string ConnectorCallFailed = nameof(ConnectorCallFailed);
    public const string ConnectorCallTimedOut = nameof(ConnectorCallTimedOut);
    public const string ConnectorOutputInvalid = nameof(ConnectorOutputInvalid);

    // Operations: planning, running, repairing, undoing.
    public const string OperationTargetUnresolvable = nameof(OperationTargetUnresolvable);
    public const string OperationParameterMissing = nameof(OperationParameterMissing);
    public const string OperationParameterUnexpected = nameof(OperationParameterUnexpected);
    public const string OperationParameterInvalid = nameof(OperationParameterInvalid);
    public const string OperationReasonInvalid = nameof(OperationReasonInvalid);
    public const string OperationScriptBlockConflict = nameof(OperationScriptBlockConflict);
    public const string OperationScriptBlockMissing = nameof(OperationScriptBlockMissing);
    public const string OperationRollbackScriptNotSupported = nameof(OperationRollbackScriptNotSupported);
    public const string OperationTargetDrifted = nameof(OperationTargetDrifted);
    public const string OperationTargetTooLarge = nameof(OperationTargetTooLarge);
    public const string OperationRollbackNotSupported = nameof(OperationRollbackNotSupported);
    public const string OperationCompensationNotSupported = nameof(OperationCompensationNotSupported);
    public const string OperationSnapshotInvalid = nameof(OperationSnapshotInvalid);
    public const string OperationSnapshotUnavailable = nameof(OperationSnapshotUnavailable);
    public const string OperationSnapshotTooLarge = nameof(OperationSnapshotTooLarge);
    public const string OperationNotUndoable = nameof(OperationNotUndoable);
    public const string RecordUntrusted = nameof(RecordUntrusted);
    public const string OperationOutcomeUnknown = nameof(OperationOutcomeUnknown);
    public const string EvidenceExportFailed = nameof(EvidenceExportFailed);
    public const string EvidenceBundleUnreadable = nameof(EvidenceBundleUnreadable);
    public const string OperationAlreadyUndone = nameof(OperationAlreadyUndone);
    public const string OperationRollbackWindowExpired = nameof(OperationRollbackWindowExpired);
    public const string OperationNotFound = nameof(OperationNotFound);
    public const string OperationNotOrphaned = nameof(OperationNotOrphaned);
    public const string OperationStillRunning = nameof(OperationStillRunning);
    public const string OperationLivenessUnknown = nameof(OperationLivenessUnknown);
    public const string OperationLivenessUnavailable = nameof(OperationLivenessUnavailable);
    public const string OperationNotExecutable = nameof(OperationNotExecutable);
    public const string OperationTransitionIllegal = nameof(OperationTransitionIllegal);
    public const string OperationRecordMalformed = nameof(OperationRecordMalformed);
    public const string OperationScriptNotRunnable = nameof(OperationScriptNotRunnable);
    public const string OperationParameterCyclic = nameof(OperationParameterCyclic);
    public const string OperationIdInvalid = nameof(OperationIdInvalid);
    public const string OperationFilterConflict = nameof(OperationFilterConflict);
    public const string OperationConfirmationRequired = nameof(OperationConfirmationRequired);
    public const string OperationIdAmbiguous = nameof(OperationIdAmbiguous);
    public const string OperationParameterTooDeep = nameof(OperationParameterTooDeep);
    public const string OperationParameterKeyDuplicate = nameof(OperationParameterKeyDuplicate);
    public const string OperationParameterKeyInvalid = nameof(OperationParameterKeyInvalid);
    public const string OperationParametersTooLarge = nameof(OperationParametersTooLarge);
    public const string OperationParametersNotPlain = nameof(OperationParametersNotPlain);
    public const string OperationScriptFailed = nameof(OperationScriptFailed);
    public const string OperationOutcomeNotRecorded = nameof(OperationOutcomeNotRecorded);
    public const string OperationIntentNotRecorded = nameof(OperationIntentNotRecorded);

    // Policy and approvals.
    public const string PolicyInvalid = nameof(PolicyInvalid);
    public const string PolicyFileUnreadable = nameof(PolicyFileUnreadable);
    public const string PolicyUnavailable = nameof(PolicyUnavailable);
    public const string OperationPolicyDenied = nameof(OperationPolicyDenied);
    public const string OperationApprovalRequired = nameof(OperationApprovalRequired);
    public const string OperationBreakGlassNotAllowed = nameof(OperationBreakGlassNotAllowed);
    public const string OperationNotPendingApproval = nameof(OperationNotPendingApproval);
    public const string OperationSelfApproval = nameof(OperationSelfApproval);
    public const string OperationApprovalDuplicate = nameof(OperationApprovalDuplicate);
    public const string OperationApproverNotInGroup = nameof(OperationApproverNotInGroup);
    public const string OperationSignedApprovalRequired = nameof(OperationSignedApprovalRequired);
    public const string OperationApprovalExpired = nameof(OperationApprovalExpired);
    public const string OperationNotApproved = nameof(OperationNotApproved);
    public const string OperationIntentChanged = nameof(OperationIntentChanged);
    public const string OperationSecretRequired = nameof(OperationSecretRequired);
    public const string OperationNotBreakGlass = nameof(OperationNotBreakGlass);
    public const string ApprovalCertificateConflict = nameof(ApprovalCertificateConflict);
    public const string ApprovalCertificateRequired = nameof(ApprovalCertificateRequired);
    public const string OperationApprovalFileInvalid = nameof(OperationApprovalFileInvalid);
    public const string OperationRequestFileInvalid = nameof(OperationRequestFileInvalid);
    public const string OperationAlreadyReviewed = nameof(OperationAlreadyReviewed);

    // Raised by the cmdlet layer: a failure AuditGuard did not raise itself.
    public const string OperationFailed = nameof(OperationFailed);
    public const string AuditGuardInternalError = nameof(AuditGuardInternalError);
}
