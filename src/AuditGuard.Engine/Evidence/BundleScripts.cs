namespace AuditGuard.Engine.Evidence;

/// <summary>The instructions and the POSIX shell script a bundle carries, so it is checked without AuditGuard.</summary>
internal static class BundleScripts
{
    public const string VerifyMarkdown = """
        # Verifying this evidence bundle

        This bundle was written by AuditGuard. You can check it without AuditGuard, the admin who
        exported it, or the machine it came from: only `openssl`, `sha256sum` and standard shell tools.

        Unzip it, then in its folder run:

            sh verify.sh

        It prints one line per check and ends with `The bundle verifies.` (exit code 0), or with the
        number of checks that failed (exit code 1). What it checks:

        1. **The manifest's signature.** `manifest.json.p7s` is a detached CMS signature over
           `manifest.json` that carries its signer's certificate:

               openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -noverify -out /dev/null

           The signer must be one of the store's signers (a certificate in `certificates/`). A
           bundle exported with a person's certificate is signed by that certificate instead: compare
           its SHA-256 fingerprint (`openssl pkcs7 -inform DER -in manifest.json.p7s -print_certs |
           openssl x509 -noout -fingerprint -sha256`) with the one you were given, and run
           `AUDITGUARD_EXPORTER=<fingerprint> sh verify.sh`.
        2. **Every file's SHA-256.** `manifest.json` lists every other file with its SHA-256 and
           size, and no file may be missing or extra. `SHA256SUMS` holds the same digests (and the
           manifest's own) in the form `sha256sum -c SHA256SUMS` checks.
        3. **Every record's signature.** `records/<seq>.json` is a record's exact bytes and
           `records/<seq>.p7s` its detached CMS signature by the store's signer:

               cat certificates/*.pem > signers.pem
               openssl cms -verify -binary -inform DER -in records/7.p7s -content records/7.json -certfile signers.pem -noverify -out /dev/null

        4. **Every link.** Each record names the SHA-256 of the record before it (`"prev"`), and
           its own sequence (`"seq"`). The first record of the range links to `anchorHash` in the
           manifest; record 0 links to 64 zeros. Records before the range are not needed: the
           signed manifest states the anchor, and the checkpoints (`checkpoints/`, and those inside
           the range) state the chain's head as the store signed it.

        `-noverify` means the certificate's own chain is not checked: the store's signer is usually
        its own (self-signed) certificate, and what matters is that it is the store's. To pin the
        store, compare the fingerprints in `certificates/` with the ones you hold.

        What the files mean: `population/` lists every operation and approval in scope;
        `exceptions/` the break-glass writes, denials, failures and rollbacks; `operations/<id>/`
        one operation's envelope, policy decision, approvals, verification and rollback links;
        `policy/` the policies in force; `controls/` the mapping to the profile's controls;
        `verification.json` the full chain verification at export; `report.html` a readable report.
        Records inside the range that are not in scope are listed in the manifest's `linkingOnly`.

        """;

    /// <summary>What both scripts begin with: strict, C locale, from their own folder, a scratch folder, and how a check reports.</summary>
    private const string Prologue = """
        set -u
        LC_ALL=C
        export LC_ALL
        cd "$(dirname "$0")" || exit 2
        failures=0
        fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
        ok() { echo "ok:   $*"; }
        work=$(mktemp -d) || exit 2
        trap 'rm -rf "$work"' EXIT
        fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }
        """;

    /// <summary>Every file the manifest lists, by SHA-256, none missing, none extra, no links, and SHA256SUMS agreeing: shared by the bundle's and the set's scripts.</summary>
    private const string FileChecks = """
        # 2. Every file the manifest lists, by SHA-256; none missing, none extra.
        sed -n 's/^{"path":"\([^"]*\)","sha256":"\([0-9a-f]\{64\}\)","size":[0-9]*},\{0,1\}$/\2  \1/p' manifest.json > "$work/listed"
        if [ ! -s "$work/listed" ]; then
          fail "manifest.json lists no files"
        elif sha256sum -c --quiet "$work/listed" > "$work/sums" 2>&1; then
          ok "$(wc -l < "$work/listed" | tr -d ' ') files match the SHA-256 the manifest gives"
        else
          fail "files differ from the manifest: $(tr '\n' ' ' < "$work/sums")"
        fi
        sed 's/^[0-9a-f]*  //' "$work/listed" | sort > "$work/expected"
        find . -type f ! -path ./manifest.json ! -path ./manifest.json.p7s ! -path ./SHA256SUMS | sed 's|^\./||' | sort > "$work/present"
        extra=$(comm -13 "$work/expected" "$work/present" | tr '\n' ' ')
        missing=$(comm -23 "$work/expected" "$work/present" | tr '\n' ' ')
        [ -z "$extra" ] || fail "files the manifest does not list: $extra"
        links=$(find . -type l | sed 's|^\./||' | tr '\n' ' ')
        [ -z "$links" ] || fail "links, which a bundle never holds: $links"
        [ -z "$missing" ] || fail "files the manifest lists are missing: $missing"
        { cat "$work/listed"; echo "$(sha256sum manifest.json | cut -d' ' -f1)  manifest.json"; } | sort > "$work/sums-expected"
        if sort SHA256SUMS | cmp -s - "$work/sums-expected"; then
          ok "SHA256SUMS agrees with the manifest"
        else
          fail "SHA256SUMS does not agree with the manifest"
        fi
        """;

    public const string VerifyShell = """
        #!/bin/sh
        # Checks this AuditGuard evidence bundle with openssl, sha256sum and standard tools only.
        # Unzip the bundle, then run in its folder: sh verify.sh   (VERIFY.md explains each check)
        """ + "\n" + Prologue + "\n" + """

        # 1. The manifest's signature, and who made it.
        if openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -noverify -out /dev/null 2>"$work/cms.err"; then
          ok "manifest.json's signature verifies"
        else
          fail "manifest.json's signature does not verify: $(head -n 1 "$work/cms.err")"
        fi
        openssl pkcs7 -inform DER -in manifest.json.p7s -print_certs -out "$work/exporter.pem" 2>/dev/null
        exporter=$(fingerprint "$work/exporter.pem")
        known=no
        for cert in certificates/*.pem; do
          [ -f "$cert" ] && [ -n "$exporter" ] && [ "$(fingerprint "$cert")" = "$exporter" ] && known=yes
        done
        if [ "$known" = yes ]; then
          ok "the manifest is signed by one of the store's signers ($exporter)"
        elif [ -n "$exporter" ] && [ "${AUDITGUARD_EXPORTER:-}" = "$exporter" ]; then
          ok "the manifest is signed by the exporter you named ($exporter)"
        else
          fail "the manifest is signed by '${exporter:-no certificate}', not one of the store's signers (see VERIFY.md)"
        fi

        """ + "\n" + FileChecks + "\n" + """

        # 3. Every record's and checkpoint's signature, against the store's signer certificates.
        cat certificates/*.pem > "$work/signers.pem" 2>/dev/null
        checked=0
        bad=0
        for body in records/*.json checkpoints/[0-9]*.json; do
          [ -f "$body" ] || continue
          if ! openssl cms -verify -binary -inform DER -in "${body%.json}.p7s" -content "$body" -certfile "$work/signers.pem" -noverify -out /dev/null 2>/dev/null; then
            fail "$body: its signature does not verify against the store's signers"
            bad=$((bad + 1))
          fi
          checked=$((checked + 1))
        done
        [ "$bad" -eq 0 ] && ok "$checked record signatures verify"

        # 4. Every link: each record names its own sequence and the SHA-256 of the record before it.
        range=$(sed -n 's/.*"recordRange":{"from":\([0-9]*\),"to":\([0-9]*\)}.*/\1 \2/p' manifest.json)
        previous=$(sed -n 's/.*"anchorHash":"\([0-9a-f]\{64\}\)".*/\1/p' manifest.json)
        if [ -n "$range" ]; then
          set -- $range
          sequence=$1
          last=$2
          [ "$sequence" -eq 0 ] && previous=0000000000000000000000000000000000000000000000000000000000000000
          linked=0
          while [ "$sequence" -le "$last" ]; do
            body="records/$sequence.json"
            if [ ! -f "$body" ]; then
              fail "record $sequence of the range is missing"
              previous=""
            else
              grep -q "\"seq\":$sequence[,}]" "$body" || fail "record $sequence does not say it is record $sequence"
              if [ -z "$previous" ] || ! grep -q "\"prev\":\"$previous\"" "$body"; then
                fail "record $sequence does not link to the record before it"
              else
                linked=$((linked + 1))
              fi
              previous=$(sha256sum "$body" | cut -d' ' -f1)
            fi
            sequence=$((sequence + 1))
          done
          ok "$linked records link to the record before them ($1 to $last)"
        fi

        if [ "$failures" -eq 0 ]; then
          echo "The bundle verifies."
          exit 0
        fi
        echo "$failures check(s) failed."
        exit 1

        """;

    public const string SetVerifyMarkdown = """
        # Verifying this evidence set

        This evidence set was written by AuditGuard from a central database. It covers every chain
        (store) the manifest lists under `chains`: each one's folder, `chains/<store id>/`, is a
        complete evidence bundle with its own `VERIFY.md` and `verify.sh`. You need only `openssl`,
        `sha256sum` and standard shell tools.

        Unzip the set, then in its folder run:

            AUDITGUARD_EXPORTER=<fingerprint> sh verify.sh

        It checks the set's own manifest signature (`manifest.json.p7s`), that every file is the one
        `manifest.json` lists (and `SHA256SUMS` agrees), and then runs each chain's `verify.sh`.

        Who signed: the exporter's certificate is carried in `manifest.json.p7s`; print its SHA-256
        fingerprint with `openssl pkcs7 -inform DER -in manifest.json.p7s -print_certs | openssl
        x509 -noout -fingerprint -sha256` and compare it with the one you were given. Every chain's
        bundle is signed by the same exporter, who is a signer of at most one of the chains: the
        signer of one chain does not vouch for another chain's history, so each chain's bundle
        verifies only once you name the exporter with `AUDITGUARD_EXPORTER` (lowercase hex, no
        colons), having compared it.

        """;

    public const string SetVerifyShell = """
        #!/bin/sh
        # Checks this AuditGuard evidence set, then every chain's bundle in it, with openssl, sha256sum and standard tools only.
        # Unzip the set, then run in its folder: AUDITGUARD_EXPORTER=<fingerprint> sh verify.sh   (VERIFY.md explains)
        """ + "\n" + Prologue + "\n" + """

        if openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -noverify -out /dev/null 2>"$work/cms.err"; then
          ok "the set's manifest.json signature verifies"
        else
          fail "the set's manifest.json signature does not verify: $(head -n 1 "$work/cms.err")"
        fi
        openssl pkcs7 -inform DER -in manifest.json.p7s -print_certs -out "$work/exporter.pem" 2>/dev/null
        exporter=$(fingerprint "$work/exporter.pem")
        if [ -n "$exporter" ] && [ "${AUDITGUARD_EXPORTER:-}" = "$exporter" ]; then
          ok "the set is signed by the exporter you named ($exporter)"
        else
          fail "the set is signed by '${exporter:-no certificate}'; compare it with the exporter you were given and name it with AUDITGUARD_EXPORTER (see VERIFY.md)"
        fi

        """ + "\n" + FileChecks + "\n" + """

        chains=0
        for folder in $(grep -o '"folder":"chains/[0-9a-f-]*/"' manifest.json | sed 's/^"folder":"//; s/"$//' | sort -u); do
          chains=$((chains + 1))
          if [ ! -f "$folder/verify.sh" ]; then
            fail "$folder has no verify.sh"
          elif (cd "$folder" && sh verify.sh > "$work/chain.out" 2>&1); then
            ok "$folder verifies ($(grep -c '^ok:' "$work/chain.out") checks)"
          else
            fail "$folder does not verify: $(grep '^FAIL' "$work/chain.out" | head -n 3 | tr '\n' ' ')"
          fi
        done
        [ "$chains" -gt 0 ] || fail "the manifest names no chain"

        if [ "$failures" -eq 0 ]; then
          echo "The set verifies."
          exit 0
        fi
        echo "$failures check(s) failed."
        exit 1

        """;
}
