//! A test plugin built for a contract Tenure does not run: `tenure:mapper@2.0.0`.

wit_bindgen::generate!({
    inline: "
        package tenure:mapper@2.0.0;

        interface mapping {
            %map: func(employee-id: string) -> string;
        }

        world plugin {
            export mapping;
        }
    ",
});

struct WrongWorld;

impl exports::tenure::mapper::mapping::Guest for WrongWorld {
    fn map(employee_id: String) -> String {
        employee_id
    }
}

export!(WrongWorld);
