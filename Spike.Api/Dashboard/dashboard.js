// The live sale dashboard: one server-sent event per second (GET /dashboard/events), drawn with the DOM and a
// <canvas> per sale. No library, no build: this file is what the node serves.
'use strict';

const HISTORY_POINTS = 120;
/** sale id → the last HISTORY_POINTS {sold, available} readings, oldest first: the page keeps the history, not the node. */
const history = new Map();
/** Outcome columns of the node table, in the order they first appeared (reserved first). */
const outcomeColumns = ['reserved'];

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function number(value) {
  return value === null || value === undefined ? '–' : value.toLocaleString('en-US');
}

function saleCard(id) {
  const existing = document.querySelector(`.sale[data-sale="${CSS.escape(id)}"]`);
  if (existing) return existing;
  const card = element('article', { class: 'sale', 'data-sale': id });
  const title = element('h3', {}, id);
  title.append(element('span', { class: 'state', 'data-field': 'state' }));
  const numbers = element('div', { class: 'numbers' });
  for (const [field, label] of [['total', 'total'], ['sold', 'sold (held)'], ['available', 'available'], ['reserve-calls', 'reserve calls']]) {
    const cell = element('div');
    cell.append(element('span', {}, label), element('span', { 'data-field': field }));
    numbers.append(cell);
  }
  const orders = element('div', { class: 'numbers' });
  for (const field of ['reserved', 'orders', 'paid', 'released']) {
    const cell = element('div');
    cell.append(element('span', {}, field), element('span', { 'data-field': field }));
    orders.append(cell);
  }
  const bar = element('div', { class: 'bar', title: 'orders: paid, open, released' });
  bar.append(element('div', { class: 'paid' }), element('div', { class: 'open-orders' }), element('div', { class: 'released' }));
  const legend = element('div', { class: 'legend' });
  legend.append(element('span', { class: 'sold' }, '— sold '), element('span', { class: 'available' }, '— available'),
    document.createTextNode(` (last ${HISTORY_POINTS} s)`));
  card.append(title, numbers, element('canvas', { width: 760, height: 180 }), legend, orders, bar);
  document.getElementById('sales').append(card);
  return card;
}

function drawChart(canvas, points, total) {
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  context.strokeStyle = '#eaecf0';
  context.lineWidth = 1;
  context.strokeRect(0.5, 0.5, width - 1, height - 1);
  const top = Math.max(total, 1);
  const x = (i) => width - (points.length - 1 - i) * (width / (HISTORY_POINTS - 1));
  const y = (value) => height - 4 - (value / top) * (height - 8);
  for (const [key, colour] of [['available', '#1570ef'], ['sold', '#d92d20']]) {
    context.strokeStyle = colour;
    context.lineWidth = 3;
    context.beginPath();
    points.forEach((point, i) => (i === 0 ? context.moveTo(x(i), y(point[key])) : context.lineTo(x(i), y(point[key]))));
    context.stroke();
  }
}

function renderSale(sale) {
  const card = saleCard(sale.id);
  const field = (name) => card.querySelector(`[data-field="${name}"]`);
  const state = field('state');
  state.textContent = sale.state;
  state.className = `state ${sale.state}`;
  field('total').textContent = number(sale.total);
  field('sold').textContent = number(sale.held);
  field('available').textContent = number(sale.available);
  field('reserve-calls').textContent = number(sale.reserveCalls);
  for (const name of ['reserved', 'orders', 'paid', 'released']) field(name).textContent = number(sale[name]);

  const orders = Math.max(sale.orders ?? 0, 1);
  const paid = sale.paid ?? 0;
  const released = sale.released ?? 0;
  const [paidBar, openBar, releasedBar] = card.querySelectorAll('.bar div');
  paidBar.style.width = `${(100 * paid) / orders}%`;
  releasedBar.style.width = `${(100 * released) / orders}%`;
  openBar.style.width = `${(100 * Math.max((sale.orders ?? 0) - paid - released, 0)) / orders}%`;

  const points = history.get(sale.id) ?? [];
  points.push({ sold: sale.held, available: sale.available });
  if (points.length > HISTORY_POINTS) points.shift();
  history.set(sale.id, points);
  drawChart(card.querySelector('canvas'), points, sale.total);
}

function renderSales(update) {
  const error = document.getElementById('sales-error');
  error.hidden = !update.salesError;
  error.textContent = update.salesError ?? '';
  // Redis did not answer: keep the last numbers on screen rather than an empty page.
  if (update.salesError) return;
  const shown = new Set(update.sales.map((sale) => sale.id));
  for (const card of document.querySelectorAll('.sale')) {
    if (!shown.has(card.dataset.sale)) {
      history.delete(card.dataset.sale);
      card.remove();
    }
  }
  update.sales.forEach(renderSale);
  document.getElementById('no-sales').hidden = update.sales.length > 0;
}

function renderNodes(nodes) {
  for (const node of nodes) {
    for (const outcome of Object.keys(node.perSecond)) {
      if (!outcomeColumns.includes(outcome)) outcomeColumns.push(outcome);
    }
  }
  const head = document.querySelector('#nodes thead tr');
  head.replaceChildren(element('th', {}, 'node'), ...outcomeColumns.map((outcome) => element('th', {}, outcome)), element('th', {}, 'p99'));
  const rows = nodes.map((node) => {
    const row = element('tr', { 'data-node': node.node });
    row.append(element('td', {}, node.node));
    for (const outcome of outcomeColumns) {
      row.append(element('td', { 'data-outcome': outcome }, (node.perSecond[outcome] ?? 0).toFixed(1)));
    }
    row.append(element('td', { 'data-field': 'p99' }, node.p99Ms === null || node.p99Ms === undefined ? '–' : `≤ ${node.p99Ms} ms`));
    return row;
  });
  document.querySelector('#nodes tbody').replaceChildren(...rows);
}

function renderMembers(members) {
  const rows = members.map((member) => {
    const row = element('tr', { 'data-member': member.address });
    row.append(
      element('td', {}, member.address),
      element('td', {}, member.roles.join(', ')),
      element('td', { 'data-field': 'status' }, member.status),
      element('td', { 'data-field': 'reachable', class: member.reachable ? '' : 'unreachable' }, member.reachable ? 'yes' : 'UNREACHABLE'));
    return row;
  });
  document.querySelector('#members tbody').replaceChildren(...rows);
}

function setConnection(text, live) {
  const badge = document.getElementById('connection');
  badge.textContent = text;
  badge.classList.toggle('live', live);
}

const events = new EventSource('/dashboard/events');
events.onopen = () => setConnection('live', true);
// EventSource reconnects by itself (the stream asks for 1 s): through nginx, to whichever node is up.
events.onerror = () => setConnection('reconnecting…', false);
events.onmessage = (message) => {
  const update = JSON.parse(message.data);
  setConnection('live', true);
  document.getElementById('served-by').textContent = `served by ${update.node} at ${new Date(update.at).toLocaleTimeString()}`;
  renderSales(update);
  renderNodes(update.nodes);
  renderMembers(update.members);
};
