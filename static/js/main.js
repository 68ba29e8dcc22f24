// The page's one entry module (loaded after the vendored htmx and its WebSocket extension,
// which are classic scripts). It only puts the modules together, and their order does not
// matter: what each page needs is a behaviour (static/js/behaviours.js) that connects when its
// element enters the page and disconnects when it leaves, and a behaviour registered later
// still connects the elements already there. Listeners that exist once per tab (document
// delegation, pollers) sit at the top level of their modules, so a module runs them once.

import "./page.js";
import "./behaviours.js";
import "./message_list.js";
import "./composer.js";
import "./live.js";
import "./chrome.js";
import "./copy.js";
import "./mentions.js";
import "./emoji_picker.js";
import "./inline_edit.js";
import "./message_tools.js";
import "./replies.js";
import "./threads.js";
import "./notifications.js";
import "./webapp.js";
import "./e2e/boot.js";
import "./e2e/room.js";
import "./uploads.js";
