/** A minimal issuer-style 3-D Secure page for the sandbox rail. */
export function renderChallengePage(paymentId: string): string {
  const id = JSON.stringify(paymentId).replace(/</g, '\\u003c');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox 3-D Secure</title>
<style>body{font-family:system-ui;max-width:28rem;margin:4rem auto;text-align:center}button{margin:.5rem;padding:.6rem 1.2rem}</style>
</head><body><h1>Sandbox bank</h1><p>Confirm this card payment?</p>
<button id="approve">Complete authentication</button><button id="abandon">Fail authentication</button>
<p id="result"></p><script>
const id = ${id};
async function decide(approve) {
  const response = await fetch('/sandbox/3ds/' + encodeURIComponent(id), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ approve }) });
  const order = await response.json();
  document.getElementById('result').textContent = 'Order ' + (order.status || order.title);
}
document.getElementById('approve').onclick = () => decide(true);
document.getElementById('abandon').onclick = () => decide(false);
</script></body></html>`;
}
