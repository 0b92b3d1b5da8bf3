// Quarters: canonical "2026-Q2"; the last one that has ended in the Netherlands is the newest a
// municipality can have submitted (design §1.7).

export function lastEndedQuarter(now = new Date()) {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: 'numeric' }).formatToParts(now);
  const year = Number(parts.find((p) => p.type === 'year').value);
  const month = Number(parts.find((p) => p.type === 'month').value);
  let q = Math.floor((month - 1) / 3); // the current quarter is q+1; the last ended one is q
  let y = year;
  if (q === 0) { q = 4; y -= 1; }
  return `${y}-Q${q}`;
}

export function parseQuarter(p) {
  const m = /^(\d{4})-?Q([1-4])$/.exec(p || '');
  return m ? { y: Number(m[1]), q: Number(m[2]) } : null;
}

export function shiftQuarter(p, n) {
  const { y, q } = parseQuarter(p);
  const i = y * 4 + (q - 1) + n;
  return `${Math.floor(i / 4)}-Q${(i % 4) + 1}`;
}

/** Every quarter from `from` to `to` inclusive, oldest first. */
export function quarterRange(from, to) {
  const out = [];
  for (let p = from; out.length < 200; p = shiftQuarter(p, 1)) {
    out.push(p);
    if (p === to) break;
  }
  return out;
}

/** The quarters a user can pick, newest first: from 2015-Q1 to the last ended quarter. */
export function selectableQuarters() {
  return quarterRange('2015-Q1', lastEndedQuarter()).reverse();
}
