package io.mlplatform.storage.web;

import org.springframework.boot.http.converter.autoconfigure.ServerHttpMessageConvertersCustomizer;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import com.fasterxml.jackson.annotation.JsonInclude;

import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * A strict reader: a typo in a field name, a string where a number belongs, a fraction where a count
 * belongs, or a key given twice is an error the caller hears about, not something silently coerced.
 */
@Configuration(proxyBeanMethods = false)
class JsonConfiguration {

	/**
	 * Takes the JSON slot after Boot's own customizer (order 0) has filled it: a converter bean would be
	 * added ahead of all others instead, and answer springdoc's {@code byte[]} documents as base64.
	 */
	@Bean
	@Order(1)
	ServerHttpMessageConvertersCustomizer sizedJson(JsonMapper mapper) {
		return builder -> builder.withJsonConverter(new SizedJsonHttpMessageConverter(mapper));
	}

	@Bean
	JsonMapperBuilderCustomizer strictJson() {
		return builder -> builder.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
			.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
			.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
			.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
			.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
			.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
			.withCoercionConfig(LogicalType.Textual, strings -> strings.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
				.setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
				.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
			.changeDefaultPropertyInclusion(incl -> incl.withValueInclusion(JsonInclude.Include.NON_NULL));
	}

}
