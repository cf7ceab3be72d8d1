/** What the exit archive holds and how to check each certificate offline, for its README.txt. */
export function archiveReadme(input: {
  origin: string;
  createdAt: string;
  policyFile: string;
  certificateCount: number;
  missingCount: number;
}): string {
  const missing =
    input.missingCount === 0
      ? ''
      : `
${input.missingCount} of your tokens have no certificate in this archive yet (see manifest.json,
"missing"): they are too new for a co-signed checkpoint. Download the archive again in a minute.
`;
  return `Heirloom exit archive
=====================

Made ${input.createdAt} by ${input.origin}.

This archive proves what you own without needing the platform: each certificate is a
self-contained file that anyone can check offline, even if Heirloom no longer exists.

What is inside
--------------
- certificates/heirloom-<token>.cert.json: one ownership certificate per token you hold
  (${input.certificateCount} in all), exactly as GET /ledger/tokens/<token>/certificate serves it.
- ${input.policyFile}: the platform's published trust policy (a C2SP tlog-policy file): the
  ledger's public key, the witnesses' public keys and how many witnesses must co-sign.
- manifest.json: your tokens by name, collection and edition, and which file proves each.
- README.txt: this file.
${missing}
What a certificate proves
-------------------------
In one sentence: the platform's ledger is an append-only log whose state is signed by the
platform and co-signed by independent witnesses, and the certificate carries your token's log
entries with the hashes that tie them to one such co-signed state, so a changed or made-up entry
cannot pass the check.

(For the technically minded: RFC 9162 Merkle inclusion proofs against a C2SP tlog-checkpoint,
signed as C2SP signed-notes with Ed25519, plus a token-map proof that the newest entry shown is
the token's latest in that checkpoint.)

How to verify, offline
----------------------
1. Check the witness keys in ${input.policyFile} with the witnesses themselves (their own
   websites or letters): the policy is only as good as the keys you trust.
2. Get the public verifier, heirloom-verify. It is part of the Heirloom source code
   (apps/verify); with Node.js 20.19 or newer:
       npx heirloom-verify certificates/heirloom-<token>.cert.json --policy ${input.policyFile}
   or, from a copy of the source:
       npm ci && npm run build
       node dist/apps/verify/src/main.js certificates/heirloom-<token>.cert.json --policy ${input.policyFile}
3. Check every certificate at once (in a shell, in this folder):
       for f in certificates/*.cert.json; do npx heirloom-verify "$f" --policy ${input.policyFile} || echo "FAILED: $f"; done

A good certificate prints "VALID: token … is owned by …" and exits 0; a changed one prints
"INVALID certificate" with the reasons and exits 1. The owner is your account's opaque id: the
ledger never holds names or emails, so it stays verifiable after you delete your account.
`;
}
