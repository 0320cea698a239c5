using System.Globalization;
using System.Net;
using System.Text;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Evidence;

/// <summary>
/// The bundle's report.html: one self-contained page (no script, no external request) an auditor
/// reads in a minute: the summary and integrity verdict first, then the exceptions, the
/// population, and a timeline per operation.
/// </summary>
internal static class Report
{
    private const int MostRows = 2000;

    public static string Html(BundleRequest request, Guid storeId, BundleScope scope, IReadOnlyList<OperationRow> rows, IReadOnlyDictionary<string, int> exceptions,
        IReadOnlyList<OperationView> timelines, ChainVerificationResult verification, long? from, long? to, long records, Redactor redact)
    {
        var page = new StringBuilder();
        page.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>AuditGuard evidence report</title>
            <style>
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f5f6f8}
            main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}
            h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:2px solid #e3e6ec;padding-bottom:4px}
            h3{font-size:15px;margin:18px 0 6px}.muted{color:#5b6475}
            .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:18px 0}
            .card{border:1px solid #e3e6ec;border-radius:8px;padding:12px 14px}.card b{display:block;font-size:22px}
            .ok{color:#17693a}.bad{color:#b42318}.warn{color:#9a6700}
            table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 14px}
            th,td{text-align:left;padding:5px 7px;border-bottom:1px solid #eceef2;vertical-align:top;overflow-wrap:anywhere}
            th{background:#f0f2f5;font-weight:600}code{font-size:12px}
            .verdict{padding:12px 14px;border-radius:8px;margin:14px 0}.verdict.ok{background:#e8f5ee}.verdict.bad{background:#fdecea}
            @media print{body{background:#fff}main{padding:0}h2{break-after:avoid}tr{break-inside:avoid}}
            </style></head><body><main>
            """);
        var period = scope.Since is null && scope.Until is null
            ? rows.Count > 0 ? $"{Day(rows.Min(r => r.Created))} to {Day(rows.Max(r => r.Updated))}" : "the whole store"
            : $"{(scope.Since is { } s ? Day(s) : "the start")} to {(scope.Until is { } u ? Day(u) : "export")}";
        var exceptionTotal = exceptions.Values.Sum();
        page.Append(CultureInfo.InvariantCulture, $"<h1>Evidence report</h1><p class=\"muted\">Store <code>{storeId}</code> · profile {E(request.Profile.ToString())} · {E(Describe(scope))} · exported {Day(DateTimeOffset.UtcNow)} by {E(request.Generator)} {E(request.GeneratorVersion)}</p>");
        page.Append("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
        Card(page, "Period", period, null);
        Card(page, "Operations in scope", rows.Count.ToString(CultureInfo.InvariantCulture), null);
        Card(page, "Exceptions", exceptionTotal.ToString(CultureInfo.InvariantCulture), exceptionTotal == 0 ? "ok" : "warn");
        Card(page, "Records", from is null ? "none" : $"{records.ToString(CultureInfo.InvariantCulture)} (sequence {from} to {to})", null);
        Card(page, "Integrity at export", verification.IsValid ? "Chain verifies" : "Chain does NOT verify", verification.IsValid ? "ok" : "bad");
        Card(page, "Signer", verification.TrustLevel switch
        {
            TrustLevel.TrustedChain => "Trusted certificate",
            TrustLevel.SelfSignedLocal => "Store's own key",
            _ => "Not trusted here",
        }, verification.TrustLevel == TrustLevel.Untrusted ? "warn" : null);
        page.Append("</div>");
        page.Append(verification.IsValid
            ? $"<div class=\"verdict ok\"><b>Integrity: the chain verified when this bundle was exported.</b> Every record's hash, link and signature checked out ({verification.RecordsChecked} records). {TrustMeaning(verification.TrustLevel)}</div>"
            : $"<div class=\"verdict bad\"><b>Integrity: the chain did NOT verify when this bundle was exported.</b> {verification.Verdicts.Count(v => v.Severity == VerdictSeverity.Error)} problem(s); see verification.json. {TrustMeaning(verification.TrustLevel)}</div>");
        page.Append("<p class=\"muted\">Check this bundle yourself, without AuditGuard: unzip it and run <code>sh verify.sh</code> (VERIFY.md explains each check).</p></section>");

        page.Append("<section id=\"exceptions\"><h2>Exceptions</h2><table><tr><th>Kind</th><th>Count</th><th>List</th></tr>");
        foreach (var (kind, file, title, _) in Exceptions.Kinds)
        {
            var count = exceptions.GetValueOrDefault(kind);
            page.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(title)}</td><td class=\"{(count == 0 ? "ok" : "warn")}\">{count}</td><td><code>{E(file)}</code></td></tr>");
        }

        page.Append("</table>");
        foreach (var (kind, _, title, matches) in Exceptions.Kinds)
        {
            var listed = rows.Where(matches).ToList();
            if (listed.Count > 0)
            {
                page.Append(CultureInfo.InvariantCulture, $"<h3>{E(title)}</h3>");
                Table(page, listed.Take(MostRows).ToList(), redact);
            }
        }

        page.Append("</section><section id=\"population\"><h2>Population</h2>");
        page.Append(rows.Count > MostRows ? $"<p class=\"muted\">The first {MostRows} of {rows.Count}; population/operations.csv lists all.</p>" : "");
        Table(page, rows.Take(MostRows).ToList(), redact);
        page.Append("</section><section id=\"timelines\"><h2>Timelines</h2>");
        if (rows.Count > timelines.Count)
        {
            page.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The first {timelines.Count} of {rows.Count} operations; each operation's folder in operations/ has all of them.</p>");
        }

        foreach (var view in timelines)
        {
            page.Append(CultureInfo.InvariantCulture, $"<h3 id=\"op-{view.OperationId}\">{E(view.Connector)} {E(view.Action ?? "")} on <code>{E(redact.Value("target", view.Target))}</code> · {E(view.State.ToString())}</h3>");
            page.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">{view.OperationId} · {E(redact.Value("actor", view.Actor.Display))} · reason: {E(redact.Value("reason", view.Reason))}</p><table><tr><th>When (UTC)</th><th>Step</th></tr>");
            page.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(view.Created)}</td><td>Requested; policy {E(view.Policy.Effect.ToString())}{(view.BreakGlass is { Allowed: true } ? " (break-glass)" : "")}; records {string.Join(", ", view.Records)}</td></tr>");
            foreach (var approval in view.Approvals)
            {
                page.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(approval.Time)}</td><td>{E(approval.Record.Decision.ToString())} by {E(redact.Value("approver", approval.Approver.Display))} ({E(approval.Record.Assurance.ToString())}){(approval.Holds ? "" : " — does not hold: " + E(approval.Problem ?? ""))}</td></tr>");
            }

            if (view.Finished is { } finished)
            {
                page.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(finished)}</td><td>Ended {E(view.State.ToString())}{(view.Verification is { } v ? $", verification {E(v.ToString())}" : "")}{(view.Error is { } e ? ": " + E(redact.Value("error", e.Message)) : "")}</td></tr>");
            }

            foreach (var undo in view.UndoneBy)
            {
                page.Append(CultureInfo.InvariantCulture, $"<tr><td></td><td>Undone by <a href=\"#op-{undo}\">{undo}</a></td></tr>");
            }

            page.Append("</table>");
        }

        page.Append("</section></main></body></html>\n");
        return page.ToString();
    }

    private static void Card(StringBuilder page, string label, string value, string? tone) =>
        page.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><span class=\"muted\">{E(label)}</span><b class=\"{tone}\">{E(value)}</b></div>");

    private static void Table(StringBuilder page, IReadOnlyList<OperationRow> rows, Redactor redact)
    {
        page.Append("<table><tr><th>Created (UTC)</th><th>Operation</th><th>Actor</th><th>Change</th><th>Target</th><th>Risk</th><th>State</th><th>Approvals</th><th>Reason</th></tr>");
        foreach (var row in rows)
        {
            page.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(row.Created)}</td><td><code>{row.OperationId[^8..]}</code></td><td>{E(redact.Value("actor", row.Actor))}</td><td>{E(row.Connector)} {E(row.Action ?? "")}</td>"
                + $"<td>{E(redact.Value("target", row.Target))}</td><td>{E(row.Risk)}</td><td>{E(row.State.ToString())}</td>"
                + $"<td>{(row.ApprovalsRequired is { } n ? $"{row.ApprovalsValid} of {n}" : "")}{(row.BreakGlass ? " break-glass" : "")}</td><td>{E(redact.Value("reason", row.Reason))}</td></tr>");
        }

        page.Append("</table>");
    }

    private static string TrustMeaning(TrustLevel level) => level switch
    {
        TrustLevel.TrustedChain => "The signer's certificate chains to a trusted root.",
        TrustLevel.SelfSignedLocal => "The signer is the store's own self-signed key: the records are unchanged since that key signed them; pin the store by comparing its certificate fingerprint (certificates/) with the one you hold.",
        _ => "The signer's certificate is not trusted here: the signatures show the records are unchanged since they were signed, not who holds the key.",
    };

    private static string Describe(BundleScope scope) =>
        scope.IsWholeStore ? "scope: the whole store"
            : "scope: " + string.Join(", ", new[]
            {
                scope.OperationIds is { Count: > 0 } ids ? $"{ids.Count} operation(s)" : null,
                scope.CorrelationId is { } c ? $"correlation id {c}" : null,
                scope.Since is { } s ? $"since {Day(s)}" : null,
                scope.Until is { } u ? $"until {Day(u)}" : null,
            }.OfType<string>());

    private static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
