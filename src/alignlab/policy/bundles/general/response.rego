# General-assistant response policy: what the model may answer. Written for alignlab.
package alignlab.response

import rego.v1

thresholds := data.thresholds

# R11 highly offensive answer
deny contains "the answer is abusive" if {
	input.features.toxicity >= thresholds.toxicity_deny
}

# R12 borderline offensive answer goes to review
escalate contains "the answer may be abusive" if {
	input.features.toxicity >= thresholds.toxicity_escalate
	input.features.toxicity < thresholds.toxicity_deny
}

# R13 forbidden topics in the answer
deny contains sprintf("the answer is about a forbidden topic (%s)", [topic]) if {
	some topic in data.blocked_topics
	input.features.topics[topic] >= thresholds.topic
}

# R14 answers to a forbidden-topic request are withheld even when they look harmless
deny contains sprintf("the request was about a forbidden topic (%s)", [topic]) if {
	some topic in data.blocked_topics
	input.request_features.topics[topic] >= thresholds.topic
}

# R15 personal data in the answer is redacted
rewrite contains "the answer contains personal data" if {
	some hit in input.features.pii
	hit.type in {t | some t in data.redact_response}
}

# R16 the answer leaks the system prompt
deny contains "the answer reveals the system prompt" if {
	some marker in data.secret_markers
	contains(input.features.lower, marker)
}

# R17 the assistant claims to be human
escalate contains "the answer claims to be a human" if {
	some claim in data.human_claims
	contains(input.features.lower, claim)
}

# R18 an empty answer goes to review
escalate contains "the answer is empty" if {
	trim_space(input.text) == ""
}

# R19 an answer longer than the request limit goes to review
escalate contains "the answer is unusually long" if {
	input.features.length > data.limits.max_chars
}

# R20 an answer to an abusive-but-allowed request goes to review
escalate contains "the request was borderline abusive" if {
	input.request_features.toxicity >= thresholds.toxicity_escalate
}

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "rewrite", "reasons": rewrite, "redact": data.redact_response} if {
	count(rewrite) > 0
} else := {"action": "escalate", "reasons": escalate} if {
	count(escalate) > 0
} else := {"action": "allow", "reasons": []}
