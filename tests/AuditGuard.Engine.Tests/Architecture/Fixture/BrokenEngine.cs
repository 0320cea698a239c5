using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

// A small engine that breaks the rules on purpose, so the architecture test shows that each
// rule fails when it should. Nothing runs this code.
namespace AuditGuard.Engine.Tests.Architecture.Fixture.Ledger
{
    /// <summary>Ledger → Operations: the arrow DESIGN never draws.</summary>
    internal sealed class LedgerThatKnowsOperations
    {
        public Operations.OperationThatKnowsTheLedger? Operation { get; set; }
    }

    /// <summary>A database driver outside the back end that owns it.</summary>
    internal static class LedgerThatTalksSql
    {
        public static SqliteConnection Connect() => new("Data Source=:memory:");
    }
}

namespace AuditGuard.Engine.Tests.Architecture.Fixture.Operations
{
    /// <summary>Operations → Ledger is allowed; with the arrow back, the two folders form a cycle.</summary>
    internal sealed class OperationThatKnowsTheLedger
    {
        public Ledger.LedgerThatKnowsOperations? Ledger { get; set; }
    }

    /// <summary>State kept for the whole process in a static field.</summary>
    internal static class RunningHere
    {
        public static readonly ConcurrentDictionary<Guid, byte> Operations = new();
    }
}

namespace AuditGuard.Engine.Tests.Architecture.Fixture.Common
{
    /// <summary>The leaf reaching up into another folder.</summary>
    internal static class CommonThatReachesUp
    {
        public static Type Up => typeof(Operations.RunningHere);
    }
}
