using System.Text;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Evidence;

/// <summary>The exception lists an auditor reads first, one CSV per kind (written even when empty, so "none" is stated).</summary>
internal static class Exceptions
{
    public static readonly (string Kind, string File, string Title, Func<OperationRow, bool> Matches)[] Kinds =
    [
        ("BreakGlass", "exceptions/break-glass.csv", "Break-glass writes (ran without the approvals policy required)", r => r.BreakGlass),
        ("Denied", "exceptions/denials.csv", "Writes an approver denied", r => r.State == OperationState.Denied),
        ("PolicyDenied", "exceptions/policy-denied.csv", "Writes the policy denied", r => r.State == OperationState.PolicyDenied),
        ("Failed", "exceptions/failed.csv", "Writes that failed", r => r.State is OperationState.Failed or OperationState.ApprovalExpired),
        ("VerificationFailed", "exceptions/verification-failed.csv", "Writes whose result was not what was meant", r => r.State == OperationState.VerificationFailed),
        ("Indeterminate", "exceptions/indeterminate.csv", "Writes whose process died before their outcome was recorded", r => r.State is OperationState.Indeterminate or OperationState.Executing),
        ("Rollback", "exceptions/rollbacks.csv", "Rollbacks, and writes rolled back or whose rollback failed",
            r => r.UndoKind == "Rollback" || r.State is OperationState.RolledBack or OperationState.RollbackFailed or OperationState.RollingBack),
        ("Compensation", "exceptions/compensations.csv", "Compensations, and irreversible writes compensated",
            r => r.UndoKind == "Compensation" || r.State is OperationState.Compensated or OperationState.CompensationFailed or OperationState.Compensating),
    ];

    /// <summary>Writes every list; returns how many operations each holds.</summary>
    public static Dictionary<string, int> Write(IReadOnlyList<OperationRow> rows, BundleEntries entries, Redactor redact)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (kind, file, _, matches) in Kinds)
        {
            var text = new StringBuilder(Csv.Line([.. OperationRow.Columns, "reviewOverdue"]));
            var count = 0;
            foreach (var row in rows.Where(matches))
            {
                text.Append(Csv.Line(row.Values().Select((v, i) => redact.Value(OperationRow.Columns[i], v)).Append(row.ReviewOverdue ? "true" : "false")));
                count++;
            }

            entries.Add(file, Encoding.UTF8.GetBytes(text.ToString()));
            counts[kind] = count;
        }

        return counts;
    }
}
