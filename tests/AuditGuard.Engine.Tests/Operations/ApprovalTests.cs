using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Policy.Approvals;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;
using static AuditGuard.Engine.Tests.Policy.PolicyData;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>Approvals as the engine records, counts and checks them: m-of-n, distinct, never the requester, signed, in time.</summary>
public sealed class ApprovalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _temp = new();
    private readonly ManualClock _clock = new(Start);
    private readonly X509Certificate2 _alice;
    private readonly X509Certificate2 _erin;
    private readonly X509Certificate2 _mallory;
    private GuardSession _session;

    public ApprovalTests()
    {
        _alice = SigningCertificateFactory.CreateSelfSigned("CN=Alice Operator", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        _erin = SigningCertificateFactory.CreateSelfSigned("CN=Erin Approver", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        _mallory = SigningCertificateFactory.CreateSelfSigned("CN=Erin Approver", SigningKeyAlgorithm.EcdsaP256, TimeSpan.FromDays(30), TimeProvider.System);
        _session = Open();
    }

    public void Dispose()
    {
        _session.Dispose();
        _alice.Dispose();
        _erin.Dispose();
        _mallory.Dispose();
        _temp.Dispose();
    }

    private GuardSession Open() => GuardSession.OpenFile(_temp.File("approvals.db"), new GuardSessionOptions { Clock = _clock });

    private static ActorIdentity Account(string user) => new(user, "1" + user.Length, "CORP", "host1", 4242, "2026-01-01T00:00:00.000Z", null);

    private void SetPolicy(int approvals, bool signed = false, string expiry = "1.00:00:00", bool breakGlass = false)
    {
        var policy = PolicyOf(Table(("Id", "board"), ("Effect", "RequireApproval"), ("Approvals", approvals), ("ApproverGroup", "Board"),
            ("ApprovalExpiry", expiry), ("RequireSignedApproval", signed), ("AllowBreakGlass", breakGlass)));
        policy["ApproverGroups"] = Table(("Board", List("CORP\\bob", "CORP\\carol", "CORP\\dave", "Thumbprint:" + _erin.Thumbprint, "Thumbprint:" + _alice.Thumbprint)));
        _session.SetPolicy(PolicyDocument.Load(policy, "p.psd1"), "p.psd1", "@{}", Account("admin"), null);
    }

    private (Guid Id, string File) Pending(string value = "new", string? secret = null, bool breakGlass = false, X509Certificate2? actorCertificate = null)
    {
        var file = _temp.File(Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(file, "old");
        var parameters = new Dictionary<string, object?> { ["Value"] = value };
        using var actorKey = actorCertificate is null ? null : SigningKey.FromCertificate(actorCertificate, TimeProvider.System);
        var request = new OperationRequest("FileSystem", "SetContent", file, parameters, null, null, "CHG-7 change", null, null, null, Account("alice"),
            secret is null ? null : ["Value"], breakGlass, actorKey);
        var view = _session.ExecuteOperation(_session.PlanOperation(request, ProcessScriptHost.Instance), out _);
        return (view.OperationId, file);
    }

    private OperationView Approve(Guid id, string user, X509Certificate2? certificate = null, ApprovalDecision decision = ApprovalDecision.Approve)
    {
        using var key = certificate is null ? null : SigningKey.FromCertificate(certificate, TimeProvider.System);
        return _session.DecideOperation(id, new ApprovalRequest(decision, "looked at the diff", Account(user), key));
    }

    private OperationView Resume(Guid id, Dictionary<string, object?>? secrets = null) =>
        _session.ResumeOperation(id, secrets ?? [], ProcessScriptHost.Instance, Account("ops"), out _);

    /// <summary>What a holder of the store's key (a member of a group store) can do without any approver's key: append a record the engine writes.</summary>
    private void AppendWithStoreKey(OperationRecord record)
    {
        var location = _session.Location;
        _session.Dispose();
        using (var ledger = AuditLedger.Open(SqliteRecordStore.Open(location), new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(location),
            Projections = [new OperationsProjection()],
            Clock = _clock,
        }))
        {
            ledger.Append(OperationRecordCodec.Encode(record, []));
        }

        _session = Open();
    }

    private static string ErrorId(Action action) => Assert.Throws<AuditGuardException>(action).ErrorId;

    [Fact]
    public void Two_of_n_distinct_approvers_approve_and_the_operation_then_runs_from_its_recorded_intent()
    {
        SetPolicy(2);
        var (id, file) = Pending();

        Assert.Equal(OperationState.PendingApproval, Approve(id, "bob").State);
        Assert.Equal(OperationState.Approved, Approve(id, "carol").State);
        var done = Resume(id);

        Assert.Equal(OperationState.Closed, done.State);
        Assert.Equal("new", File.ReadAllText(file));
        Assert.Equal(["CORP\\bob", "CORP\\carol"], done.Approvals.Select(a => a.Approver.Principal));
        Assert.All(done.Approvals, a => Assert.True(a.Holds));
        Assert.Equal("ops", done.ResumedBy!.User);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void The_requester_never_approves_and_each_approver_counts_once()
    {
        SetPolicy(2);
        var (id, _) = Pending();
        Approve(id, "bob");

        Assert.Equal(ErrorIds.OperationSelfApproval, ErrorId(() => Approve(id, "alice")));
        Assert.Equal(ErrorIds.OperationApprovalDuplicate, ErrorId(() => Approve(id, "bob")));
        Assert.Equal(ErrorIds.OperationApproverNotInGroup, ErrorId(() => Approve(id, "mallory")));
        Assert.Equal(OperationState.PendingApproval, _session.FindOperation(id).State);
        Assert.Single(_session.FindOperation(id).Approvals);
    }

    [Fact]
    public void Where_signed_approvals_are_required_the_certificate_is_the_approver_and_a_lookalike_is_not()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending();

        Assert.Equal(ErrorIds.OperationSignedApprovalRequired, ErrorId(() => Approve(id, "bob")));
        // Same subject, another key: not the certificate the policy names by thumbprint.
        Assert.Equal(ErrorIds.OperationApproverNotInGroup, ErrorId(() => Approve(id, "bob", _mallory)));
        var approved = Approve(id, "zed", _erin);

        Assert.Equal(OperationState.Approved, approved.State);
        var approval = Assert.Single(approved.Approvals);
        Assert.Equal(IdentityAssurance.Certificate, approval.Record.Assurance);
        Assert.Equal("CORP\\zed", approval.Record.Account.Principal);
        Assert.Equal(_erin.Thumbprint, approval.Approver.Certificate!.Thumbprint);
    }

    [Fact]
    public void On_a_shared_account_a_signed_approval_counts_only_when_the_request_was_signed_by_a_certificate_that_identifies_the_asker()
    {
        SetPolicy(1, signed: true);
        var (unsigned, _) = Pending();
        var (throwaway, _) = Pending(actorCertificate: _mallory);
        var (signed, _) = Pending(actorCertificate: _alice);

        // Unsigned, or signed with a certificate anyone could make, the request is known by its account alone:
        // an approval run as that account is the asker's, whatever it is signed with.
        Assert.Equal(ErrorIds.OperationSelfApproval, ErrorId(() => Approve(unsigned, "alice", _erin)));
        Assert.Equal(ErrorIds.OperationSelfApproval, ErrorId(() => Approve(throwaway, "alice", _erin)));
        var approved = Approve(signed, "alice", _erin);

        Assert.Equal(OperationState.Approved, approved.State);
        Assert.Equal("CORP\\alice", approved.Approvals.Single().Record.Account.Principal);
    }

    [Fact]
    public void One_account_does_not_count_twice_by_approving_unsigned_and_then_signed()
    {
        SetPolicy(2);
        var (id, _) = Pending();
        Approve(id, "bob");

        Assert.Equal(ErrorIds.OperationApprovalDuplicate, ErrorId(() => Approve(id, "bob", _erin)));
    }

    [Fact]
    public void Any_approver_may_deny_and_the_operation_ends_Denied_and_never_runs()
    {
        SetPolicy(2);
        var (id, file) = Pending();
        Approve(id, "bob");

        Assert.Equal(OperationState.Denied, Approve(id, "dave", decision: ApprovalDecision.Deny).State);
        Assert.Equal(ErrorIds.OperationNotPendingApproval, ErrorId(() => Resume(id)));
        Assert.Equal(ErrorIds.OperationNotPendingApproval, ErrorId(() => Approve(id, "carol")));
        Assert.Equal("old", File.ReadAllText(file));
    }

    [Fact]
    public void A_request_that_gathers_no_quorum_in_time_is_recorded_ApprovalExpired()
    {
        SetPolicy(2, expiry: "02:00:00");
        var (id, _) = Pending();
        Approve(id, "bob");
        _clock.Advance(TimeSpan.FromHours(3));

        Assert.Equal(ErrorIds.OperationApprovalExpired, ErrorId(() => Approve(id, "carol")));
        Assert.Equal(OperationState.ApprovalExpired, _session.FindOperation(id).State);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void Approvals_that_aged_out_before_the_resume_no_longer_count()
    {
        SetPolicy(1, expiry: "02:00:00");
        var (id, file) = Pending();
        Approve(id, "bob");
        _clock.Advance(TimeSpan.FromHours(3));

        Assert.Equal(ErrorIds.OperationApprovalExpired, ErrorId(() => Resume(id)));
        Assert.Equal(OperationState.ApprovalExpired, _session.FindOperation(id).State);
        Assert.Equal("old", File.ReadAllText(file));
    }

    [Fact]
    public void Resume_refuses_without_the_quorum_and_under_a_stricter_policy_set_since()
    {
        SetPolicy(1);
        var (id, file) = Pending();
        Assert.Equal(ErrorIds.OperationNotApproved, ErrorId(() => Resume(id)));
        Approve(id, "bob");

        SetPolicy(2);
        Assert.Equal(ErrorIds.OperationNotApproved, ErrorId(() => Resume(id)));
        Approve(id, "carol", decision: ApprovalDecision.Approve);

        Assert.Equal(OperationState.Closed, Resume(id).State);
        Assert.Equal("new", File.ReadAllText(file));
    }

    [Fact]
    public void Resume_refuses_when_the_policy_now_denies()
    {
        SetPolicy(1);
        var (id, file) = Pending();
        Approve(id, "bob");
        _session.SetPolicy(PolicyDocument.Load(PolicyOf(Table(("Id", "freeze"), ("Effect", "Deny"))), "p"), "p", "@{}", Account("admin"), null);

        Assert.Equal(ErrorIds.OperationPolicyDenied, ErrorId(() => Resume(id)));
        Assert.Equal("old", File.ReadAllText(file));
    }

    [Fact]
    public void Resume_refuses_a_target_that_drifted_since_planning()
    {
        SetPolicy(1);
        var (id, file) = Pending();
        Approve(id, "bob");
        File.WriteAllText(file, "someone else");

        var error = Assert.Throws<AuditGuardException>(() => Resume(id));

        Assert.Equal(ErrorIds.OperationTargetDrifted, error.ErrorId);
        Assert.Contains("when the operation was planned", error.Message, StringComparison.Ordinal);
        Assert.Equal("someone else", File.ReadAllText(file));
    }

    [Fact]
    public void A_secret_is_given_again_at_resume_and_must_be_the_one_approved()
    {
        SetPolicy(1);
        var (id, file) = Pending("s3cr3t-value", secret: "Value");
        Approve(id, "bob");

        Assert.Equal(ErrorIds.OperationSecretRequired, ErrorId(() => Resume(id)));
        var wrong = Assert.Throws<AuditGuardException>(() => Resume(id, new() { ["Value"] = "another" }));
        Assert.Equal(ErrorIds.OperationIntentChanged, wrong.ErrorId);
        Assert.Contains("does not match the secret", wrong.Message, StringComparison.Ordinal);

        Assert.Equal(OperationState.Closed, Resume(id, new() { ["value"] = "s3cr3t-value" }).State);
        Assert.Equal("s3cr3t-value", File.ReadAllText(file));
    }

    [Fact]
    public void Approvals_live_in_the_ledger_and_count_after_a_restart()
    {
        SetPolicy(2);
        var (id, file) = Pending();
        Approve(id, "bob");
        Approve(id, "carol");
        _session.Dispose();
        _session = Open();

        Assert.Equal(OperationState.Closed, Resume(id).State);
        Assert.Equal("new", File.ReadAllText(file));
    }

    [Fact]
    public void A_break_glass_write_is_reviewed_once_by_a_member_who_did_not_run_it_and_is_overdue_until_then()
    {
        SetPolicy(2, breakGlass: true);
        var (id, _) = Pending(breakGlass: true);
        var view = _session.FindOperation(id);
        Assert.Equal(OperationState.Closed, view.State);
        _clock.Advance(TimeSpan.FromDays(2));
        Assert.True(_session.FindOperation(id).IsReviewOverdue(_clock.GetUtcNow()));
        Assert.Single(_session.QueryOperations(new OperationQuery { ReviewOverdueAt = _clock.GetUtcNow() }, orphanedOnly: false));

        Assert.Equal(ErrorIds.OperationSelfApproval, ErrorId(() => Approve(id, "alice", decision: ApprovalDecision.Review)));
        var reviewed = Approve(id, "bob", decision: ApprovalDecision.Review);

        Assert.Equal(OperationState.Closed, reviewed.State);
        Assert.Equal("CORP\\bob", reviewed.Review!.Approver.Principal);
        Assert.False(reviewed.IsReviewOverdue(_clock.GetUtcNow()));
        Assert.Equal(ErrorIds.OperationAlreadyReviewed, ErrorId(() => Approve(id, "carol", decision: ApprovalDecision.Review)));
        Assert.Empty(_session.QueryOperations(new OperationQuery { ReviewOverdueAt = _clock.GetUtcNow() }, orphanedOnly: false));
    }

    [Fact]
    public void An_approval_copied_onto_another_operation_counts_nowhere_and_is_an_error_verdict()
    {
        SetPolicy(1, signed: true);
        var (first, _) = Pending();
        var (second, _) = Pending("other");
        var approved = Approve(first, "zed", _erin).Approvals.Single();
        var copy = approved.Record with { OperationId = second, Transitions = [] };
        AppendWithStoreKey(copy);
        var result = _session.Verify(new VerifyOptions());
        var view = _session.FindOperation(second);

        Assert.False(result.IsValid);
        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.ApprovalInvalid && v.Message.Contains(first.ToString("D"), StringComparison.Ordinal));
        Assert.False(Assert.Single(view.Approvals).Holds);
        Assert.Equal(ErrorIds.OperationNotApproved, ErrorId(() => Resume(second)));
    }

    [Fact]
    public void An_offline_request_is_signed_away_from_the_store_and_imported_with_every_check()
    {
        SetPolicy(1, signed: true);
        var (id, file) = Pending(actorCertificate: _alice);
        var requestBytes = OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId);

        var request = OfflineApproval.ReadRequest(requestBytes, "request.json");
        using var key = SigningKey.FromCertificate(_erin, TimeProvider.System);
        var approvalBytes = OfflineApproval.Sign(request, ApprovalDecision.Approve, "checked offline", Account("erin"), key, _clock.GetUtcNow());
        var (operation, decision, approval) = OfflineApproval.ReadApproval(approvalBytes, "approval.json");
        var approved = _session.DecideOperation(operation, new ApprovalRequest(decision, "", approval.Account, Imported: approval));

        Assert.Equal(OperationState.Approved, approved.State);
        Assert.True(approved.Approvals.Single().Record.Offline);
        Assert.Equal(OperationState.Closed, Resume(id).State);
        Assert.Equal("new", File.ReadAllText(file));
    }

    [Fact]
    public void A_request_file_whose_shown_intent_is_not_its_hash_is_refused_before_anything_is_signed()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending();
        var json = JsonNode.Parse(OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId))!;
        json["intent"]!["target"] = "/srv/harmless.txt";

        var error = Assert.Throws<AuditGuardException>(() => OfflineApproval.ReadRequest(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "r.json"));

        Assert.Equal(ErrorIds.OperationRequestFileInvalid, error.ErrorId);
    }

    [Fact]
    public void A_tampered_or_foreign_approval_file_is_refused_and_nothing_is_recorded()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending();
        var (other, _) = Pending("other");
        using var key = SigningKey.FromCertificate(_erin, TimeProvider.System);
        var forOther = OfflineApproval.ReadRequest(OfflineApproval.WriteRequest(_session.FindOperation(other), _session.StoreId), "r");
        var signed = JsonNode.Parse(OfflineApproval.Sign(forOther, ApprovalDecision.Approve, "ok", Account("erin"), key, _clock.GetUtcNow()))!;
        var count = _session.Describe().Store.RecordCount;

        // Re-aimed at another operation: the signature no longer matches the statement.
        var retargeted = signed.DeepClone();
        retargeted["statement"]!["operationId"] = id.ToString("D");
        var (target, decision, approval) = OfflineApproval.ReadApproval(System.Text.Encoding.UTF8.GetBytes(retargeted.ToJsonString()), "a");
        Assert.Equal(ErrorIds.OperationApprovalFileInvalid,
            ErrorId(() => _session.DecideOperation(target, new ApprovalRequest(decision, "", approval.Account, Imported: approval))));

        // From another store: bound to a store id that is not this one.
        var foreignRequest = forOther with { StoreId = Guid.NewGuid() };
        var foreign = OfflineApproval.ReadApproval(OfflineApproval.Sign(foreignRequest, ApprovalDecision.Approve, "ok", Account("erin"), key, _clock.GetUtcNow()), "f");
        Assert.Equal(ErrorIds.OperationApprovalFileInvalid,
            ErrorId(() => _session.DecideOperation(foreign.OperationId, new ApprovalRequest(foreign.Decision, "", foreign.Approval.Account, Imported: foreign.Approval))));

        Assert.Equal(ErrorIds.OperationApprovalFileInvalid, ErrorId(() => OfflineApproval.ReadApproval("{\"format\": 1}"u8.ToArray(), "x")));
        Assert.Equal(count, _session.Describe().Store.RecordCount);
    }

    [Fact]
    public void An_actor_who_signed_the_request_never_approves_it_with_that_certificate_whoever_runs_the_command()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending(actorCertificate: _erin);
        var view = _session.FindOperation(id);

        Assert.Equal(_erin.Thumbprint, view.ActorCertificate!.Thumbprint);
        Assert.Null(view.ActorSignatureProblem);
        Assert.Equal(ErrorIds.OperationSelfApproval, ErrorId(() => Approve(id, "zed", _erin)));
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void An_actor_signature_copied_onto_another_request_is_an_error_verdict_and_names_no_one()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending(actorCertificate: _erin);
        var intent = Assert.IsType<IntentRecord>(OperationRecordCodec.Decode(_session.ReadRecords(new RecordFilter { OperationId = id.ToString("D") }).First()));
        var forged = intent with { OperationId = Guid.NewGuid() };
        AppendWithStoreKey(forged);
        var result = _session.Verify(new VerifyOptions());

        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.IntentSignatureInvalid);
        Assert.NotNull(_session.FindOperation(forged.OperationId).ActorSignatureProblem);
        // Its certificate does not lock its owner out of approving the forged request.
        Assert.Equal(OperationState.Approved, Approve(forged.OperationId, "zed", _erin).State);
    }

    [Fact]
    public void A_review_keeps_the_approval_rules_and_a_forged_one_clears_nothing_and_is_reported()
    {
        SetPolicy(2, signed: true, breakGlass: true);
        var (id, _) = Pending(breakGlass: true);
        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(ErrorIds.OperationSignedApprovalRequired, ErrorId(() => Approve(id, "bob", decision: ApprovalDecision.Review)));
        var view = _session.FindOperation(id);
        var statement = new ApprovalStatement(_session.StoreId, id, view.IntentHash, ApprovalDecision.Review, _clock.GetUtcNow()).Canonical();
        using var anyKey = SigningKey.FromCertificate(_mallory, TimeProvider.System);

        // The one who ran it, holding the store's key, writes their own review with a certificate no one lists.
        AppendWithStoreKey(new ApprovalRecord
        {
            OperationId = id,
            Transitions = [],
            Decision = ApprovalDecision.Review,
            Reason = "reviewed myself",
            Account = Account("alice"),
            Statement = statement,
            Signature = anyKey.SignDetached(statement, _clock.GetUtcNow()),
            Certificate = _mallory.RawData,
        });

        Assert.True(_session.FindOperation(id).IsReviewOverdue(_clock.GetUtcNow()));
        Assert.Contains(_session.Verify(new VerifyOptions()).Verdicts, v => v.Kind == VerdictKind.ApprovalInvalid);
        Assert.Equal("CORP\\zed", Approve(id, "zed", _erin, ApprovalDecision.Review).Review!.Approver.Principal);
    }

    [Fact]
    public void A_move_to_Approved_without_the_quorum_is_reported_and_does_not_run()
    {
        SetPolicy(2, signed: true);
        var (id, file) = Pending();
        var view = _session.FindOperation(id);
        var statement = new ApprovalStatement(_session.StoreId, id, view.IntentHash, ApprovalDecision.Approve, _clock.GetUtcNow()).Canonical();

        AppendWithStoreKey(new ApprovalRecord
        {
            OperationId = id,
            Transitions = [OperationState.Approved],
            Decision = ApprovalDecision.Approve,
            Reason = "approved myself",
            Account = Account("bob"),
            Statement = statement,
        });

        Assert.Equal(OperationState.Approved, _session.FindOperation(id).State);
        var verdicts = _session.Verify(new VerifyOptions()).Verdicts.Where(v => v.Kind == VerdictKind.ApprovalInvalid).ToList();
        Assert.Contains(verdicts, v => v.Message.Contains("not signed", StringComparison.Ordinal));
        Assert.Equal(ErrorIds.OperationNotApproved, ErrorId(() => Resume(id)));
        Assert.Equal("old", File.ReadAllText(file));
    }

    [Fact]
    public void A_laxer_policy_set_after_the_request_approves_nothing()
    {
        SetPolicy(2, signed: true);
        var (id, file) = Pending();
        _session.SetPolicy(PolicyDocument.Load(PolicyOf(), "lax.psd1"), "lax.psd1", "@{}", Account("alice"), null);

        Assert.Equal(ErrorIds.OperationNotApproved, ErrorId(() => Resume(id)));
        Assert.Equal("old", File.ReadAllText(file));
    }

    [Fact]
    public void A_hostile_resume_record_is_read_as_malformed_never_thrown()
    {
        var body = JsonCanonicalizer.Canonicalize(new JsonObject
        {
            ["type"] = OperationRecordCodec.ResumeType,
            ["op"] = Guid.NewGuid().ToString("D"),
            ["transitions"] = new JsonArray("Executing"),
            ["resumedBy"] = OperationRecordCodec.EncodeActor(Account("x")),
            ["policy"] = new JsonObject { ["effect"] = "Allow", ["matchedRules"] = new JsonArray(), ["explanation"] = "x" },
            ["approvals"] = new JsonArray((JsonNode?)null),
        });
        var row = new RecordRow(7, new byte[32], new byte[32], OperationRecordCodec.ResumeType, null, "2026-01-01T00:00:00.000Z", body, [], "");

        Assert.False(OperationRecordCodec.TryDecode(row, out _, out var problem));
        Assert.NotNull(problem);
    }

    [Theory]
    [InlineData("Deny, Review")]
    [InlineData("3")]
    [InlineData("approve")]
    public void A_statement_names_its_decision_exactly(string decision)
    {
        var statement = System.Text.Encoding.UTF8.GetBytes(
            $"{{\"decision\":\"{decision}\",\"intentHash\":\"{new string('a', 64)}\",\"operationId\":\"{Guid.Empty:D}\",\"storeId\":\"{Guid.Empty:D}\",\"time\":\"2026-01-01T00:00:00.000Z\"}}");

        Assert.Null(ApprovalStatement.TryParse(statement, out _));
    }

    [Fact]
    public void An_offline_approval_signed_longer_ago_than_approvals_count_is_refused_and_moves_nothing()
    {
        SetPolicy(1, signed: true, expiry: "02:00:00");
        var (id, _) = Pending(actorCertificate: _alice);
        var request = OfflineApproval.ReadRequest(OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId), "r");
        using var key = SigningKey.FromCertificate(_erin, TimeProvider.System);
        var stale = OfflineApproval.ReadApproval(OfflineApproval.Sign(request, ApprovalDecision.Approve, "signed long ago", Account("erin"), key, _clock.GetUtcNow().AddHours(-3)), "a");

        var error = Assert.Throws<AuditGuardException>(() => _session.DecideOperation(id, new ApprovalRequest(stale.Decision, "", stale.Approval.Account, Imported: stale.Approval)));

        Assert.Equal(ErrorIds.OperationApprovalFileInvalid, error.ErrorId);
        Assert.Equal(OperationState.PendingApproval, _session.FindOperation(id).State);
        Assert.Empty(_session.FindOperation(id).Approvals);
    }

    [Fact]
    public void An_approval_signed_elsewhere_is_never_told_from_the_asker_s_by_the_account_its_file_names()
    {
        SetPolicy(1, signed: true);
        var (id, _) = Pending();
        var request = OfflineApproval.ReadRequest(OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId), "r");
        using var key = SigningKey.FromCertificate(_erin, TimeProvider.System);
        // The file's account is not signed: whoever edits it could name anyone.
        var signed = OfflineApproval.ReadApproval(OfflineApproval.Sign(request, ApprovalDecision.Approve, "ok", Account("zed"), key, _clock.GetUtcNow()), "a");

        var error = Assert.Throws<AuditGuardException>(() => _session.DecideOperation(id, new ApprovalRequest(signed.Decision, "", signed.Approval.Account, Imported: signed.Approval)));
        Assert.Equal(ErrorIds.OperationSelfApproval, error.ErrorId);
        Assert.Contains("Invoke-GuardedWrite -Certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_approval_signed_earlier_and_imported_after_a_later_one_completes_the_quorum_and_verifies()
    {
        SetPolicy(2);
        var (id, file) = Pending(actorCertificate: _alice);
        var request = OfflineApproval.ReadRequest(OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId), "r");
        using var key = SigningKey.FromCertificate(_erin, TimeProvider.System);
        var early = OfflineApproval.ReadApproval(OfflineApproval.Sign(request, ApprovalDecision.Approve, "signed early", Account("erin"), key, _clock.GetUtcNow()), "a");
        _clock.Advance(TimeSpan.FromMinutes(30));
        Approve(id, "bob");
        _clock.Advance(TimeSpan.FromMinutes(10));

        var approved = _session.DecideOperation(id, new ApprovalRequest(early.Decision, "", early.Approval.Account, Imported: early.Approval));

        Assert.Equal(OperationState.Approved, approved.State);
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
        Assert.Equal(OperationState.Closed, Resume(id).State);
        Assert.Equal("new", File.ReadAllText(file));
        Assert.True(_session.Verify(new VerifyOptions()).IsValid);
    }

    [Fact]
    public void A_dry_run_with_break_glass_has_nothing_to_review()
    {
        SetPolicy(1, breakGlass: true);
        var file = _temp.File("dry.txt");
        File.WriteAllText(file, "old");
        var request = new OperationRequest("FileSystem", "SetContent", file, new Dictionary<string, object?> { ["Value"] = "new" }, null, null, "rehearsal", null, null, null,
            Account("alice"), null, BreakGlass: true);
        var dry = _session.RecordDryRun(_session.PlanOperation(request, ProcessScriptHost.Instance));
        _clock.Advance(TimeSpan.FromDays(3));

        Assert.False(_session.FindOperation(dry.OperationId).IsReviewOverdue(_clock.GetUtcNow()));
        Assert.Equal(ErrorIds.OperationNotBreakGlass, ErrorId(() => Approve(dry.OperationId, "bob", decision: ApprovalDecision.Review)));
    }

    [Fact]
    public void An_approval_dated_at_the_end_of_the_calendar_is_a_verdict_not_a_crash()
    {
        SetPolicy(1);
        var (id, _) = Pending();
        var view = _session.FindOperation(id);
        var statement = new ApprovalStatement(_session.StoreId, id, view.IntentHash, ApprovalDecision.Approve, DateTimeOffset.MaxValue.AddDays(-1)).Canonical();
        AppendWithStoreKey(new ApprovalRecord
        {
            OperationId = id,
            Transitions = [OperationState.Approved],
            Decision = ApprovalDecision.Approve,
            Reason = "from the future",
            Account = Account("bob"),
            Statement = statement,
        });

        var result = _session.Verify(new VerifyOptions());

        Assert.Contains(result.Verdicts, v => v.Kind == VerdictKind.ApprovalInvalid && v.Message.Contains("after it was recorded", StringComparison.Ordinal));
    }

    [Fact]
    public void A_denial_signed_elsewhere_by_someone_outside_the_group_is_refused()
    {
        SetPolicy(1);
        var (id, file) = Pending();
        var request = OfflineApproval.ReadRequest(OfflineApproval.WriteRequest(_session.FindOperation(id), _session.StoreId), "r");
        using var outsider = SigningKey.FromCertificate(_mallory, TimeProvider.System);
        var denial = OfflineApproval.ReadApproval(OfflineApproval.Sign(request, ApprovalDecision.Deny, "no", Account("alice"), outsider, _clock.GetUtcNow()), "d");

        Assert.Equal(ErrorIds.OperationApproverNotInGroup,
            ErrorId(() => _session.DecideOperation(id, new ApprovalRequest(denial.Decision, "", denial.Approval.Account, Imported: denial.Approval))));
        Assert.Equal(OperationState.PendingApproval, _session.FindOperation(id).State);
        Assert.Equal("old", File.ReadAllText(file));
    }
}
