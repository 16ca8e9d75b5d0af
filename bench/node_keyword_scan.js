// LivePerson's keyword scan algorithm (lp-faas-toolbelt V1, conversationUtil.scanConversationForKeywords), run by
// node for bench/bench_dense.py. Written for this bench from its documented behaviour: for each keyword, filter the
// transcript to TEXT_PLAIN / HOSTED_FILE messages, keep those where message.match(new RegExp(keyword, 'gmi')) finds
// something (a new RegExp per keyword per message), add the tag, concatenate the per-keyword lists. One change: the
// keyword is escaped (once per keyword), as lp_toolbelt takes keywords literally.
//
// usage: node bench/node_keyword_scan.js INPUT.json   (INPUT: {"conversation": {...}, "keywords": [...]})
// prints one JSON line: {"seconds": scan + reading every field, "count", "digest": sha256 of the JSON.stringify'd
// results}. Also a module: tests/node_oracle.py requires it as the oracle of the property tests.
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

function bench(path) {
  const { conversation, keywords } = JSON.parse(fs.readFileSync(path, 'utf8'));
  const start = process.hrtime.bigint();
  const results = scanConversationForKeywords(conversation, keywords);
  let total = 0;
  for (const hit of results) {
    total += hit.message.length + hit.sentBy.length + hit.tag.length + (hit.sentTimestamp > 0 ? 1 : 0);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const digest = crypto.createHash('sha256').update(JSON.stringify(results)).digest('hex');
  process.stdout.write(`${JSON.stringify({ seconds, count: results.length, digest, total })}\n`);
}

module.exports = { escapeRegExp, scanConversationForKeywords };
if (require.main === module) bench(process.argv[2]);
