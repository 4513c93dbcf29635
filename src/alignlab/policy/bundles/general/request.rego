# General-assistant request policy: what a user may send. Written for alignlab.
package alignlab.request

import rego.v1

thresholds := data.thresholds

# R1 empty message
deny contains "the message is empty" if {
	trim_space(input.text) == ""
}

# R2 message too long
deny contains sprintf("the message is longer than %d characters", [data.limits.max_chars]) if {
	input.features.length > data.limits.max_chars
}

# R3 conversation too long
deny contains sprintf("the conversation has more than %d messages", [data.limits.max_messages]) if {
	count(input.messages) > data.limits.max_messages
}

# R4 highly offensive language
deny contains "the message is abusive" if {
	input.features.toxicity >= thresholds.toxicity_deny
}

# R5 borderline offensive language goes to review
escalate contains "the message may be abusive" if {
	input.features.toxicity >= thresholds.toxicity_escalate
	input.features.toxicity < thresholds.toxicity_deny
}

# R6 forbidden topics (weapons, malware, self-harm methods)
deny contains sprintf("the request is about a forbidden topic (%s)", [topic]) if {
	some topic in data.blocked_topics
	input.features.topics[topic] >= thresholds.topic
}

# R7 prompt injection phrases
deny contains "the message tries to override the assistant's instructions" if {
	some phrase in data.injection_phrases
	contains(input.features.lower, phrase)
}

# R8 jailbreak personas go to review
escalate contains "the message uses a known jailbreak persona" if {
	some marker in data.jailbreak_markers
	contains(input.features.lower, marker)
}

# R9 payment and identity numbers are removed before the model sees them
rewrite contains "the message contains a payment or identity number" if {
	some hit in input.features.pii
	hit.type in {t | some t in data.redact_request}
}

# R10 a request that asks to reveal other people's contact details goes to review
escalate contains "the message asks for someone's personal contact details" if {
	contains(input.features.lower, "home address of")
}

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "rewrite", "reasons": rewrite, "redact": data.redact_request} if {
	count(rewrite) > 0
} else := {"action": "escalate", "reasons": escalate} if {
	count(escalate) > 0
} else := {"action": "allow", "reasons": []}
