using AuditGuard.Engine.Hosting;

namespace AuditGuard.Engine.Connectors.Extensions;

/// <summary>
/// A connector module registered in a store: the name it is used by, the module as it was found,
/// the digest of its files then, and its capabilities as it stated them; each use checks the
/// files again.
/// </summary>
public sealed record ExtensionRegistration(string Name, ExtensionModule Module, string FilesDigest, ConnectorCapabilities Capabilities, long Sequence, DateTimeOffset Registered);
