// LivePerson's keyword scan algorithm (lp-faas-toolbelt V1, conversationUtil.scanConversationForKeywords), run by
// node for bench/bench_dense.py. Written for this bench from its documented behaviour: for each keyword, filter the
// transcript to TEXT_PLAIN / HOSTED_FILE messages, keep those where message.match(new RegExp(keyword, 'gmi')) finds
// something (a new RegExp per keyword per message), add the tag, concatenate the per-keyword lists. One change: the
// keyword is escaped (once per keyword), as lp_toolbelt takes keywords literally.
//
// usage: node bench/node_keyword_scan.js INPUT.json [RUNS]   (INPUT: {"conversation": {...}, "keywords": [...]})
// prints one JSON line: {"seconds": [per run: scan + reading every field], "count", "digest": sha256 of the
// JSON.stringify'd results}
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function messagesWithKeyword(transcript, keyword) {
  const source = escapeRegExp(keyword);
  return transcript
    .filter((record) => ['HOSTED_FILE', 'TEXT_PLAIN'].includes(record.type))
    .map((record) => ({
      message: record.type === 'TEXT_PLAIN' ? record.messageData.msg.text : record.messageData.file.caption,
      sentTimestamp: record.timeL,
      sentBy: record.sentBy,
    }))
    .filter(({ message }) => message.match(new RegExp(source, 'gmi')))
    .map((hit) => ({ ...hit, tag: `keywordRef:${keyword}` }));
}

function scanConversationForKeywords(conversation, keywords) {
  const {
    conversationHistoryRecords: [{ messageRecords: transcript }],
  } = conversation;
  return keywords
    .map((keyword) => messagesWithKeyword(transcript, keyword))
    .reduce((acc, part) => acc.concat(part));
}

const { conversation, keywords } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const runs = Number(process.argv[3] || 1);
const seconds = [];
let results = [];
for (let run = 0; run < runs; run += 1) {
  results = null;
  const start = process.hrtime.bigint();
  results = scanConversationForKeywords(conversation, keywords);
  let total = 0;
  for (const hit of results) {
    total += hit.message.length + hit.sentBy.length + hit.tag.length + (hit.sentTimestamp > 0 ? 1 : 0);
  }
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  if (total < 0) throw new Error('unreachable');
}
const digest = crypto.createHash('sha256').update(JSON.stringify(results)).digest('hex');
process.stdout.write(`${JSON.stringify({ seconds, count: results.length, digest })}\n`);
