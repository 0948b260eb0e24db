// The scenario graph: a blueprint drawn in SVG, Make-style — modules as
// circles joined by lines, a router's routes fanning out below one another,
// an error route hanging under its module — optionally with what a run did
// (each module's status and how many bundles went through it). Modules are
// focusable buttons: Enter or Space chooses one, arrow keys move along.

import { layout, moduleInfo, moduleName, STEP_X, STEP_Y } from './flow.js';

const SVG = 'http://www.w3.org/2000/svg';
const RADIUS = 28;
const PAD_X = 60;
const PAD_Y = 48;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

const centre = (node) => ({ x: PAD_X + node.col * STEP_X, y: PAD_Y + node.row * STEP_Y });

/** The graph; `onSelect(id)` when a module is chosen. */
export class FlowGraph {
  constructor({ onSelect = () => {}, label = 'Scenario flow' } = {}) {
    this.onSelect = onSelect;
    this.svg = svg('svg', { class: 'flow-svg', role: 'group', 'aria-label': label });
    this.element = document.createElement('div');
    this.element.className = 'flow-canvas';
    this.element.append(this.svg);
    this.svg.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Draws `blueprint`; `stats` (from flow.runStats) adds what a run did. */
  render(blueprint, { selectedId = null, stats = null } = {}) {
    const focusedId = document.activeElement?.closest?.('.flow-node')?.dataset.moduleId;
    const { nodes, edges, cols, rows } = layout(blueprint);
    const width = PAD_X * 2 + Math.max(cols - 1, 0) * STEP_X;
    const height = PAD_Y * 2 + Math.max(rows - 1, 0) * STEP_Y + 20;
    this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(height));
    const at = new Map(nodes.map((node) => [node.module.id, centre(node)]));
    const lines = edges.map((edge) => {
      const a = at.get(edge.from);
      const b = at.get(edge.to);
      if (!a || !b) return null;
      const d = a.y === b.y
        ? `M ${a.x + RADIUS} ${a.y} L ${b.x - RADIUS} ${b.y}`
        : edge.kind === 'error'
          ? `M ${a.x} ${a.y + RADIUS} L ${b.x} ${b.y - RADIUS}`
          : `M ${a.x + RADIUS * 0.7} ${a.y + RADIUS * 0.7} C ${a.x + STEP_X * 0.45} ${b.y}, ${b.x - STEP_X * 0.6} ${b.y}, ${b.x - RADIUS} ${b.y}`;
      return svg('path', { class: `flow-edge flow-edge-${edge.kind}`, d });
    });
    // Arrow keys go in reading order: row by row, left to right.
    this.order = [...nodes].sort((a, b) => a.row - b.row || a.col - b.col).map((node) => node.module.id);
    const circles = nodes.map((node) => this.node(node, at.get(node.module.id), selectedId, stats?.get(node.module.id)));
    this.svg.replaceChildren(svg('g', { class: 'flow-edges' }, ...lines), svg('g', { class: 'flow-nodes' }, ...circles));
    if (focusedId) this.focus(Number(focusedId));
  }

  node({ module }, { x, y }, selectedId, stat) {
    const info = moduleInfo(module.module);
    const name = moduleName(module);
    const status = stat?.status || null;
    const parts = [`Module ${module.id}: ${name}`];
    if (stat) parts.push(`${status}, ${stat.count} bundle${stat.count === 1 ? '' : 's'}`);
    const group = svg('g', {
      class: ['flow-node', `flow-group-${info.group.toLowerCase()}`, status ? `flow-status-${status}` : '', module.id === selectedId ? 'flow-node-selected' : ''].join(' ').trim(),
      tabindex: '0',
      role: 'button',
      'aria-label': parts.join(', '),
      'aria-pressed': module.id === selectedId ? 'true' : 'false',
      'data-module-id': module.id,
      'data-status': status,
      transform: `translate(${x} ${y})`,
    },
    svg('title', {}, `${name} (${module.module})`),
    svg('circle', { class: 'flow-ring', r: RADIUS + 5 }),
    svg('circle', { class: 'flow-circle', r: RADIUS }),
    svg('text', { class: 'flow-short', 'text-anchor': 'middle', dy: '0.35em' }, info.short),
    svg('text', { class: 'flow-label', 'text-anchor': 'middle', y: RADIUS + 20 }, truncate(name, 18)),
    svg('text', { class: 'flow-id', 'text-anchor': 'middle', y: RADIUS + 34 }, `#${module.id}`),
    stat ? svg('g', { class: 'flow-count', transform: `translate(${RADIUS * 0.75} ${-RADIUS * 0.75})`, 'data-field': 'count' },
      svg('circle', { r: 11 }),
      svg('text', { 'text-anchor': 'middle', dy: '0.35em' }, String(stat.count))) : null);
    group.addEventListener('click', () => this.onSelect(module.id));
    return group;
  }

  focus(id) {
    this.svg.querySelector(`.flow-node[data-module-id="${id}"]`)?.focus();
  }

  onKey(event) {
    const current = event.target.closest?.('.flow-node');
    if (!current) return;
    const id = Number(current.dataset.moduleId);
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.onSelect(id);
      return;
    }
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const index = this.order.indexOf(id);
    const next = this.order[Math.min(Math.max(index + step, 0), this.order.length - 1)];
    this.focus(next);
  }
}

function truncate(text, max) {
  const chars = [...String(text)];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : String(text);
}
