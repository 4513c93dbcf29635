# Medical-assistant scope policy (in the spirit of ArGen's medical case study; written for alignlab).
package alignlab.request

import rego.v1

# Helpers take the features as an argument: rego-cpp caches argument-free helper rules
# across `with input...` overrides, which breaks unit tests that negate them.
in_scope(f) if f.topics[data.scope_topic] >= data.scope_threshold

emergency(f) if {
	some term in data.emergency_terms
	contains(f.lower, term)
}

# M1 questions outside health care are declined (scope S3)
deny contains "I can only help with health and medical questions" if {
	not in_scope(input.features)
	not emergency(input.features)
}

# M2 abusive messages
deny contains "the message is abusive" if {
	input.features.toxicity >= data.toxicity_deny
}

# M3 emergencies are flagged for review (and the answer must refer, see the response policy)
escalate contains "the message describes a possible emergency" if emergency(input.features)

# M4 dosing questions are flagged for review
escalate contains "the message asks for a medication dose" if {
	some term in data.dosing_terms
	contains(input.features.lower, term)
}

# M5 identity and contact numbers are removed before the model sees them
rewrite contains "the message contains personal identifiers" if {
	some hit in input.features.pii
	hit.type in {t | some t in data.redact}
}

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "rewrite", "reasons": rewrite, "redact": data.redact} if {
	count(rewrite) > 0
} else := {"action": "escalate", "reasons": escalate} if {
	count(escalate) > 0
} else := {"action": "allow", "reasons": []}
