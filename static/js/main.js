// The page's one entry module (loaded after the vendored htmx and its WebSocket extension,
// which are classic scripts). Each module registers its own listeners once per tab and sets
// up each page again after a boosted swap; this file only puts them together (page.js,
// which imports nothing, runs first and marks the page as scripted).

import "./page.js";
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
import { initUploads } from "./uploads.js";

initUploads();
