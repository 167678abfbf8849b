/** Entry of the browser peer (placeholder until the peer lands). */
const badge = document.getElementById('status')
if (badge !== null) badge.textContent = 'loading'

export {}
