// lessons/markdown.js — the small, safe Markdown subset of lesson texts: paragraphs, **bold**, *italic*, `code`.

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** HTML for `text` (everything escaped first, so a lesson file cannot inject markup). */
export function markdown(text) {
  return String(text || '').trim().split(/\n\s*\n/).map((para) => {
    const html = escape(para.trim())
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/\*([^*]+)\*/g, '<em>$1</em>');
    return `<p>${html}</p>`;
  }).join('');
}
