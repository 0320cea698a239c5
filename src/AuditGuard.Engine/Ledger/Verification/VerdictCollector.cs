namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>Collects verdicts, summarising a kind once it passes the cap so a wrecked store still yields a readable report.</summary>
internal sealed class VerdictCollector(int maxPerKind)
{
    private readonly List<Verdict> _verdicts = [];
    private readonly Dictionary<VerdictKind, int> _counts = [];

    public void Add(VerdictKind kind, long? sequence, string? file, string message)
    {
        var count = _counts.GetValueOrDefault(kind) + 1;
        _counts[kind] = count;
        if (count <= maxPerKind)
        {
            _verdicts.Add(new Verdict(kind, Verdict.SeverityOf(kind), sequence, file, message));
        }
    }

    public List<Verdict> ToList()
    {
        // Stable: within one sequence, verdicts keep the order the checks found them in.
        var list = _verdicts.OrderBy(v => v.Sequence ?? long.MaxValue).ToList();
        foreach (var (kind, count) in _counts.Where(c => c.Value > maxPerKind))
        {
            list.Add(new Verdict(kind, Verdict.SeverityOf(kind), null, null,
                $"{count - maxPerKind} more {kind} verdicts were found and not listed one by one."));
        }

        return list;
    }
}
