"""The chat page in Swedish for every visitor, and readable by screen readers: gradio's strings that its own
Swedish translation lacks, the few labels it writes in English whatever the language, and the attributes
its components leave out. Data here, applied by app.py: gradio's i18n takes what has a key; a small
script in the page's head rewrites the rest as gradio renders it."""
from __future__ import annotations

import json

import gradio as gr

# gradio's translation keys with no Swedish text in gradio (shown as 'Copy message', 'common.complete')
MISSING_KEYS = {
    "common.complete": "Klar",
    "chatbot.edit": "Redigera",
    "chatbot.retry": "Försök igen",
    "chatbot.undo": "Ångra",
    "chatbot.submit": "Skicka",
    "chatbot.cancel": "Avbryt",
    "chatbot.like": "Gilla",
    "chatbot.dislike": "Ogilla",
    "chatbot.clear": "Rensa",
    "chatbot.complete": "Klar",
    "chatbot.copy_message": "Kopiera svaret",
    "chatbot.copied_message": "Svaret kopierat",
    "chat_interface.new_chat": "Ny konversation",
    "chat_interface.message_placeholder": "Skriv din fråga …",
    "chat_interface.additional_inputs": "Fler val",
    "chat_interface.chatbot": "Samtal",
    "chat_interface.conversation": "Samtal",
    "blocks.connection_can_break": "I mobilen kan anslutningen brytas om fliken inte är öppen eller enheten "
                                   "går i vila, och då förloras platsen i kön.",
    "blocks.long_requests_queue": "Många frågor väntar på svar just nu. Försök igen om en stund.",
    "blocks.lost_connection": "Anslutningen bröts när sidan lämnades. Ställer frågan i kön igen …",
    "blocks.waiting_for_inputs": "Väntar på att filerna laddas upp klart, försök igen.",
}
I18N = gr.I18n(sv=MISSING_KEYS)

# labels gradio writes in English in any language: (pattern over the whole label, Swedish replacement);
# a message's label would otherwise be its raw HTML, read aloud tag by tag
LABELS = [
    (r"^Copy$", "Kopiera"),
    (r"^Copied!?$", "Kopierat"),
    (r"^Copy message$", "Kopiera svaret"),
    (r"^Select example (\d+): ", "Välj exempel $1: "),
    (r"^user's message: ", "Din fråga: "),
    (r"^bot's message: [^]*$", "Svar från Paragraf"),
    (r"^chatbot conversation$", "Samtal"),
    (r"^File upload$", "Välj filer att ladda upp"),
    (r"^Copy table data$", "Kopiera tabellen"),
    (r"^Copied to clipboard$", "Kopierat"),
    (r"^Copy conversation$", "Kopiera samtalet"),
    (r"^Copied conversation$", "Samtalet kopierat"),
    (r"^Scroll down$", "Rulla ned"),
    (r"^Feedback$", "Synpunkt"),
]
# attributes gradio's markup gets wrong for assistive technology: (CSS selector, attribute, value or None
# to remove it): the examples are buttons, not list items, so no list; the upload area is named by its
# own (Swedish) text, not by an English label
ATTRIBUTES = [
    (".examples[role=list]", "role", None),
    ("button.upload-container[aria-label]", "aria-label", None),
]

HEAD_TEMPLATE = """<meta name="description" content="Paragraf svarar på frågor om kommunala protokoll och riksdagens
betänkanden, med hänvisningar till paragraf och bilaga.">
<script>
(() => {
  // gradio's own strings follow the browser's language: set before gradio's scripts read it
  for (const [name, value] of [["language", "sv-SE"], ["languages", ["sv-SE", "sv"]]]) {
    try { Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true}); } catch (e) {}
  }
  document.documentElement.lang = "sv";
  const labels = __LABELS__.map(([p, s]) => [new RegExp(p), s]);
  const attributes = __ATTRIBUTES__;
  const repair = (root) => {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("[aria-label],[title]").forEach((el) => {
      for (const name of ["aria-label", "title"]) {
        const value = el.getAttribute(name);
        if (value === null) continue;
        const hit = labels.find(([p]) => p.test(value));
        if (hit) el.setAttribute(name, value.replace(hit[0], hit[1]));
      }
    });
    for (const [selector, name, value] of attributes) {
      root.querySelectorAll(selector).forEach((el) => value === null ? el.removeAttribute(name)
                                                                      : el.setAttribute(name, value));
    }
  };
  new MutationObserver((changes) => changes.forEach((c) => repair(c.target.parentNode || c.target)))
    .observe(document, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ["aria-label", "title", "role"]});
})();
</script>"""
HEAD = (HEAD_TEMPLATE.replace("__LABELS__", json.dumps(LABELS, ensure_ascii=False))
        .replace("__ATTRIBUTES__", json.dumps(ATTRIBUTES)))


def theme() -> gr.themes.Base:
    """gradio's Soft theme with text dark enough on its tinted labels and buttons (WCAG AA, 4.5:1)."""
    return gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]).set(
        block_label_text_color="*primary_700", block_title_text_color="*primary_700",
        button_primary_background_fill="*primary_600", button_primary_background_fill_hover="*primary_700",
        checkbox_label_background_fill_selected="*primary_600", body_text_color_subdued="*neutral_600")


# every control shows where the keyboard is
FOCUS_CSS = """
#pg-app :focus-visible, .gradio-container :focus-visible { outline: 3px solid #1d4ed8 !important;
  outline-offset: 2px; }
"""
