// Decodes TopoJSON (quantised, delta-encoded arcs plus a transform) into SVG path data with a
// simple projection: equirectangular with longitudes shrunk by cos(latitude) at the map's centre,
// which for a country the size of the Netherlands is indistinguishable from a conformal one.

/** Absolute [longitude, latitude] points of every arc. */
export function decodeArcs(topo) {
  const tr = topo.transform;
  return topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map((p) => {
      if (tr) { x += p[0]; y += p[1]; return [x * tr.scale[0] + tr.translate[0], y * tr.scale[1] + tr.translate[1]]; }
      return [p[0], p[1]];
    });
  });
}

function ringPoints(arcIdx, arcs) {
  const pts = [];
  for (const i of arcIdx) {
    const a = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
    for (let k = pts.length ? 1 : 0; k < a.length; k++) pts.push(a[k]);
  }
  return pts;
}

/** The rings ([[lon, lat]...]) of a Polygon or MultiPolygon geometry. */
export function geometryRings(geom, arcs) {
  if (geom.type === 'Polygon') return geom.arcs.map((r) => ringPoints(r, arcs));
  if (geom.type === 'MultiPolygon') return geom.arcs.flatMap((poly) => poly.map((r) => ringPoints(r, arcs)));
  return [];
}

/** A projection fitted to the rings' bounding box inside width × height (with a margin). */
export function fitProjection(allRings, width, height, margin = 8) {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const ring of allRings) for (const [lon, lat] of ring) {
    if (lon < minX) minX = lon; if (lon > maxX) maxX = lon;
    if (lat < minY) minY = lat; if (lat > maxY) maxY = lat;
  }
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const w = (maxX - minX) * k, hgt = maxY - minY;
  const scale = Math.min((width - 2 * margin) / w, (height - 2 * margin) / hgt);
  const ox = (width - w * scale) / 2, oy = (height - hgt * scale) / 2;
  return ([lon, lat]) => [ox + (lon - minX) * k * scale, oy + (maxY - lat) * scale];
}

export function pathData(rings, project) {
  let d = '';
  for (const ring of rings) {
    if (ring.length < 3) continue;
    ring.forEach((pt, i) => {
      const [x, y] = project(pt);
      d += `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    });
    d += 'Z';
  }
  return d;
}

/** The centre (cx, cy) of a feature's largest ring's bounding box, projected: where the arrow
 * keys of the map measure from. */
function centre(rings, project) {
  let best = null, bestArea = -1;
  for (const ring of rings) {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const pt of ring) {
      const [x, y] = project(pt);
      if (x < minX) minX = x; if (x > maxX) maxX = x;
      if (y < minY) minY = y; if (y > maxY) maxY = y;
    }
    const area = (maxX - minX) * (maxY - minY);
    if (area > bestArea) { bestArea = area; best = { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2 }; }
  }
  return best || { cx: 0, cy: 0 };
}

/**
 * The features of one object of the topology, each {code, d, cx, cy}, projected into width × height;
 * `outline` (another object, e.g. the country) is projected with the same fit.
 */
export function features(topo, objectName, width, height, outlineName) {
  const arcs = decodeArcs(topo);
  const geoms = topo.objects[objectName].geometries;
  const rings = geoms.map((g) => geometryRings(g, arcs));
  const project = fitProjection(rings.flat(), width, height);
  const out = geoms.map((g, i) => ({ code: g.properties && g.properties.code, d: pathData(rings[i], project), ...centre(rings[i], project) }));
  let outline = null;
  if (outlineName && topo.objects[outlineName]) {
    outline = topo.objects[outlineName].geometries.map((g) => pathData(geometryRings(g, arcs), project)).join('');
  }
  return { features: out, outline };
}
